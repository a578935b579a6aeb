import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackEnv } from '../support/helpers.js';

const demo = fileURLToPath(new URL('../../services/demo/dist/main.js', import.meta.url));

describe('the README demo', () => {
  it('plays the simulated morning through the detector and the notifier, reaches every tier, and exits cleanly', async () => {
    // ×600 instead of ×60: the same story in about half a minute.
    const child = spawn(process.execPath, [demo], { env: { ...process.env, ...stackEnv(), VIGIL_DEMO_SPEED: '600', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).toContain('incidents reached every tier: log, notify and wake up');
    expect(output).toMatch(/WAKE UP +opened/);
    expect(output).toMatch(/NOTIFY +opened/);
    expect(output).toMatch(/LOG +opened/);
    expect(output).toMatch(/☎ pager got trigger/);
    expect(output).toMatch(/critical bola_enumeration +trudy/);
  }, 180_000);
});
