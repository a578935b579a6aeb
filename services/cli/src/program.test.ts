import { describe, expect, it } from 'vitest';
import { runCli, verbs } from './program.js';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {} }, '0.0.0-test');
  return { code, out, err };
}

describe('vigil CLI', () => {
  it('--help lists every verb of DESIGN.md', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    for (const verb of ['detector', 'notifier', 'backtest', 'simulate', 'publish', 'tail', 'threats', 'inventory']) expect(out).toContain(verb);
    expect(verbs).toHaveLength(8);
  });

  it('vigil inventory checks --since and --sort before connecting to anything', async () => {
    const since = await run('inventory', '--since', 'yesterday');
    expect(since.code).toBe(2);
    expect(since.err).toContain('expected an RFC 3339 time (2026-11-18T10:00:00Z) or a span such as 30m, 24h or 7d');
    const sort = await run('inventory', '--sort', 'size');
    expect(sort.code).toBe(2);
    expect(sort.err).toContain('calls, first-seen, unauthenticated');
  });

  it('prints its version', async () => {
    expect((await run('--version')).out.trim()).toBe('0.0.0-test');
  });

  it('vigil publish and vigil tail check their options before connecting to anything', async () => {
    const noInput = await run('publish');
    expect(noInput.code).toBe(2);
    expect(noInput.err).toContain('error: no input: give files (or --input FILE; - for stdin)');
    expect((await run('publish', '--input', '-', '--encoding', 'xml')).err).toContain("argument 'xml' is invalid. Allowed choices are json, avro.");
    const missing = await run('publish', '--input', '/nonexistent/events.ndjson');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('vigil: VIGIL_ARGUMENT: cannot read --input /nonexistent/events.ndjson: ENOENT\n');
    expect((await run('publish', '--input', '-', '--format', 'w3c')).err).toContain("argument 'w3c' is invalid. Allowed choices are vigil, combined, nginx-json, envoy, alb, kong.");
    const both = await run('publish', '/dev/null', '--follow', '/dev/null');
    expect(both.code).toBe(1);
    expect(both.err).toContain('give either --input files or --follow FILE, not both');
    expect((await run('publish', '--follow', '/dev/null', '--dry-run')).err).toContain('--dry-run checks files read once (--input); it cannot be combined with --follow');
    expect((await run('tail', 'alerts')).err).toContain("value 'alerts' is invalid for argument 'what'. Allowed choices are findings, incidents.");
    expect((await run('tail', '--min-severity', 'urgent')).err).toContain('Allowed choices are info, low, medium, high, critical.');
    const zero = await run('tail', '--max', '0');
    expect(zero.code).toBe(2);
    expect(zero.err).toContain('expected a positive integer');
  });

  it('vigil backtest names an input it cannot read, and needs one', async () => {
    const r = await run('backtest', '--input', '/nonexistent/events.ndjson');
    expect(r.code).toBe(1);
    expect(r.err).toBe('vigil: VIGIL_ARGUMENT: cannot read input /nonexistent/events.ndjson: ENOENT\n');
    const none = await run('backtest');
    expect(none.code).toBe(2);
    expect(none.err).toContain('error: no input: give files (or --input FILE; - for stdin)');
  });

  it('vigil notifier without an API token refuses to start and names the key', async () => {
    const { code, err } = await run('notifier');
    expect(code).toBe(1);
    expect(err).toContain('VIGIL_CONFIG');
    expect(err).toContain('api.token');
  });

  it('vigil simulate lists its scenarios, writes a scenario as NDJSON, and refuses an unknown one', async () => {
    const list = await run('simulate', '--list');
    expect(list.code).toBe(0);
    for (const name of ['clean-day', 'bola-sequential', 'credential-stuffing-distributed', 'mixed-day']) expect(list.out).toContain(name);
    const sim = await run('simulate', '--scenario', 'known-bad-ip', '--hours', '4');
    expect(sim.code).toBe(0);
    const lines = sim.out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(10_000);
    expect(JSON.parse(lines[0]!)).toMatchObject({ direction: expect.stringMatching(/^(inbound|outbound)$/), timestamp: expect.stringMatching(/^2026-11-18T10:/) });
    expect(lines.some((l) => l.includes('185.220.101.7'))).toBe(true);
    expect(JSON.parse(sim.err.trim())).toMatchObject({ summary: { scenario: 'known-bad-ip', events: lines.length, labels: 1 } });
    const bad = await run('simulate', '--scenario', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unknown scenario "nope"');
    expect((await run('simulate', '--scenario', 'burst', '--speed', 'fast')).err).toContain('--speed must be max, realtime or a factor');
    const noScenario = await run('simulate');
    expect(noScenario.code).toBe(2);
    expect(noScenario.err).toContain('--scenario is required (--list shows them)');
    const badEncoding = await run('simulate', '--scenario', 'burst', '--kafka', '--encoding', 'xml');
    expect(badEncoding.code).toBe(2);
    expect(badEncoding.err).toContain("argument 'xml' is invalid. Allowed choices are json, avro.");
  });

  it('vigil backtest --slice-ms takes 0 or more', async () => {
    const bad = await run('backtest', '--input', '-', '--slice-ms', '-1');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--slice-ms <ms>' argument '-1' is invalid. expected an integer, 0 or more");
    expect((await run('backtest', '--input', '-', '--slice-ms', '')).err).toContain('expected an integer, 0 or more');
  });

  it('an unknown verb is a usage error', async () => {
    const { code, err } = await run('frobnicate');
    expect(code).toBe(2);
    expect(err).toContain("unknown command 'frobnicate'");
  });
});
