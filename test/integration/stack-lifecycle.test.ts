import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The local stack's own contract: `up` twice is a no-op the second time,
 * `down` leaves no process of ours running. It runs a second, separate
 * stack (own state dir and ports, shared downloads) so the stack the other
 * integration tests use is never disturbed.
 */
const repo = fileURLToPath(new URL('../../', import.meta.url));
const script = join(repo, 'deploy/local/stack.sh');
const stateDir = mkdtempSync(join(tmpdir(), 'vigil-stack-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  VIGIL_STACK_DIR: stateDir,
  VIGIL_STACK_CACHE: process.env.VIGIL_STACK_CACHE ?? join(repo, '.stack', 'cache'),
  VIGIL_KAFKA_PORT: '29092',
  VIGIL_KAFKA_CONTROLLER_PORT: '29093',
  VIGIL_REGISTRY_PORT: '28081',
  VIGIL_REDIS_PORT: '26379',
};
delete env.KAFKA_BROKERS;
delete env.SCHEMA_REGISTRY_URL;
delete env.REDIS_URL;

function stack(...args: string[]) {
  const started = Date.now();
  const r = spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 170_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, seconds: (Date.now() - started) / 1000 };
}

function pids(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['kafka', 'registry', 'redis']) {
    const file = join(stateDir, 'run', `${name}.pid`);
    // The pid file holds "pid starttime" (the start time guards against a recycled pid).
    if (existsSync(file)) out[name] = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie awaiting its reaper is not running.
  try {
    return !/^\S+\s+\(.*\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('deploy/local/stack.sh', () => {
  afterAll(() => {
    stack('down');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('up starts all three, a second up is a no-op, down stops everything it started', async () => {
    const up = stack('up');
    expect(up.code, up.out).toBe(0);
    console.log(`stack lifecycle: cold start (downloads cached) ready in ${up.seconds.toFixed(1)} s`);
    const started = pids();
    expect(Object.keys(started).sort()).toEqual(['kafka', 'redis', 'registry']);
    for (const pid of Object.values(started)) expect(alive(pid)).toBe(true);
    expect(stack('status').code).toBe(0);

    const again = stack('up');
    expect(again.code).toBe(0);
    expect(again.out).toContain('nothing to do');
    expect(pids()).toEqual(started);

    const env = stack('env');
    expect(env.out).toContain('KAFKA_BROKERS=127.0.0.1:29092');
    expect(env.out).toContain('REDIS_URL=redis://127.0.0.1:26379');

    const down = stack('down');
    expect(down.code, down.out).toBe(0);
    const deadline = Date.now() + 5000;
    while (Object.values(started).some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const [name, pid] of Object.entries(started)) expect(alive(pid), `${name} (pid ${pid}) still runs after down`).toBe(false);
    expect(pids()).toEqual({});
    expect(stack('status').code).not.toBe(0);
    expect(stack('down').code).toBe(0);
  }, 300_000);
});
