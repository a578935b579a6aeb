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
    for (const verb of ['detector', 'notifier', 'backtest', 'simulate', 'publish', 'tail', 'threats']) expect(out).toContain(verb);
    expect(verbs).toHaveLength(7);
  });

  it('prints its version', async () => {
    expect((await run('--version')).out.trim()).toBe('0.0.0-test');
  });

  it.each([['simulate', '--scenario', 'bola'], ['publish'], ['tail']])(
    'vigil %s … says it is not yet available and exits non-zero',
    async (...argv) => {
      const { code, err } = await run(...argv);
      expect(code).toBe(3);
      expect(err).toMatch(/not yet available/);
    },
  );

  it('vigil notifier without an API token refuses to start and names the key', async () => {
    const { code, err } = await run('notifier');
    expect(code).toBe(1);
    expect(err).toContain('VIGIL_CONFIG');
    expect(err).toContain('api.token');
  });

  it('an unknown verb is a usage error', async () => {
    const { code, err } = await run('frobnicate');
    expect(code).toBe(2);
    expect(err).toContain("unknown command 'frobnicate'");
  });
});
