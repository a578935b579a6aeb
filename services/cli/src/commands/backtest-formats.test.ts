import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { lineWriter } from '@vigil/ingest';
import { simulate } from '@vigil/simulator';
import { runCli } from '../program.js';
import { backtest } from './backtest.js';
import { escapeHtml, scriptJson } from './report/html.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-backtest-formats-'));
const file = (name: string, text: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function run(options: Partial<Parameters<typeof backtest>[0]> & { inputs: string[] }) {
  const findings: Finding[] = [];
  const warnings: string[] = [];
  const summary = await backtest({ batchSize: 500, ...options }, (l) => findings.push(JSON.parse(l) as Finding), (w) => warnings.push(w));
  return { findings, warnings, summary };
}

describe('vigil backtest over access logs and gateway logs', () => {
  // An enumeration three hours into a simulated morning; the simulator's traffic written as each source logs it.
  const { events } = simulate({ scenario: 'bola-sequential', hours: 4, seed: 11, clients: 150, peakSessionsPerMinute: 15 });

  it.each(['combined', 'nginx-json', 'envoy', 'kong'])('%s: finds the enumeration the NDJSON of the same traffic shows', async (format) => {
    const write = lineWriter(format);
    const input = file(`sim.${format}.log.gz`, gzipSync(events.map(write).join('\n') + '\n'));
    const { findings, summary } = await run({ inputs: [input], format, api: 'shop' });
    expect(summary).toMatchObject({ format, events: events.length, rejected: 0 });
    const bola = findings.filter((f) => f.detector === 'bola_enumeration');
    expect(bola.map((f) => [f.subject.value, f.route])).toContainEqual(['mallory', '/users/{id}/account']);
    expect(summary.present.latencyMs).toBe(events.length);
  }, 60_000);

  it('alb: no principal in ALB logs, so the enumeration is seen by the client address, and the summary says principal is absent', async () => {
    const input = file('sim.alb.log', events.map(lineWriter('alb')).join('\n'));
    const { findings, summary } = await run({ inputs: [input], format: 'alb' });
    expect(summary.present.principal).toBe(0);
    expect(findings.filter((f) => f.detector === 'bola_enumeration').map((f) => f.subject.kind)).toContain('ip');
  }, 60_000);

  it('several files in turn, --map for another JSON log, bad lines named and counted, a report that escapes what came from the log', async () => {
    const a = file('a.log', '203.0.113.7 - alice [23/Nov/2026:17:20:01 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua" 0.010\nnot a log line\n');
    const b = file('b.log', '203.0.113.8 - <b>bob</b> [23/Nov/2026:17:20:02 +0000] "GET /<script>alert(1)</script> HTTP/1.1" 404 5 "-" "\\x3cimg src=x\\x3e" 0.010\n');
    const report = join(dir, 'report.html');
    const { summary, warnings } = await run({ inputs: [a, b], format: 'combined', report });
    expect(summary).toMatchObject({ lines: 3, events: 2, rejected: 1, report });
    expect(warnings).toEqual([expect.stringMatching(/^line 2: no \[time\] field/)]);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<title>vigil backtest: 2 files</title>');
    expect(html).not.toMatch(/<b>bob|<script>alert|<img src/);
    expect(html).toContain('default (inbound)');

    const map = file('map.yaml', 'fields:\n  timestamp: { from: t, as: epoch-ms }\n  method: m\n  path: p\n  status: s\n');
    const mapped = await run({ inputs: [file('custom.ndjson', '{"t":1796494528000,"m":"GET","p":"/a","s":200}\n{"t":"x"}\n')], map });
    expect(mapped.summary).toMatchObject({ format: 'map', events: 1, rejected: 1 });
    await expect(run({ inputs: [a], map: file('bad-map.yaml', 'fields:\n  method: m\n') })).rejects.toThrow(/fields\.timestamp: required/);
  });

  it('escapes for HTML and for JSON inside a script element', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const json = scriptJson({ s: '</script><!-- \u2028' });
    expect(json).not.toMatch(/<|>|\u2028/);
    expect(JSON.parse(json)).toEqual({ s: '</script><!-- \u2028' });
  });

  it('the CLI takes files as arguments, --format and --report, and vigil simulate --format writes an access log', async () => {
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), env: {} };
    expect(await runCli(['simulate', '--scenario', 'known-bad-ip', '--hours', '3', '--format', 'combined'], io, 'test')).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^\S+ - \S+ \[18\/Nov\/2026:10:00:\d\d \+0000\] "[A-Z]+ \/\S* HTTP\/1\.1" \d{3} \d+ "-" ".*" \d+\.\d{3}$/);
    const log = file('sim.log', out);
    out = '';
    err = '';
    expect(await runCli(['backtest', log, '--format', 'combined', '--report', join(dir, 'cli.html')], io, 'test')).toBe(0);
    expect(JSON.parse(err.trim().split('\n').at(-1)!).summary).toMatchObject({ format: 'combined', events: lines.length, rejected: 0 });
    expect(readFileSync(join(dir, 'cli.html'), 'utf8')).toContain('id="vigil-data"');
    expect((await runCli(['backtest', log, '--format', 'w3c'], io, 'test'))).toBe(2);
  }, 60_000);
});
