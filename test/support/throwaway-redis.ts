import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './helpers.js';

/**
 * A Redis of the test's own on a free loopback port, from the redis-server
 * binary the local stack uses (Debian's, on PATH), persisting as an
 * operator's would: an append-only file fsynced every second, and an RDB
 * snapshot on shutdown. `stopServer()` sends SIGTERM (Redis saves and exits)
 * or SIGKILL (a crash: what the last fsync kept survives); `startServer()`
 * starts it again on the same port and dir, and it loads what it saved.
 */
export interface ThrowawayRedis {
  url: string;
  port: number;
  stopServer(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  if (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status !== 0) {
    throw new Error("redis-server is not on PATH: run 'bash deploy/local/stack.sh up' (it installs Debian's redis-server)");
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-'));
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [`bind 127.0.0.1`, `port ${port}`, 'protected-mode yes', 'daemonize no', `dir ${dir}`, 'logfile ""', 'appendonly yes', 'appendfsync everysec', 'save 3600 1', ''].join('\n'),
  );
  let server: ChildProcess | undefined;
  const answers = () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', timeout: 3000 }).stdout?.trim() === 'PONG';

  async function startServer(): Promise<void> {
    const out = openSync(join(dir, 'redis.out'), 'a');
    const child = spawn('redis-server', [conf], { stdio: ['ignore', out, out] });
    closeSync(out);
    server = child;
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}; see ${dir}/redis.out`);
        // Answering PING is not enough: while it loads its files Redis answers -LOADING.
        return answers();
      },
      `the throwaway Redis on ${port} to answer`,
      20_000,
      50,
    );
  }

  async function stopServer(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const s = server;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => s.once('exit', () => resolve()));
    s.kill(signal);
    const timer = setTimeout(() => s.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  try {
    await startServer();
  } catch (err) {
    await stopServer('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stopServer,
    startServer,
    async stop() {
      await stopServer('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
