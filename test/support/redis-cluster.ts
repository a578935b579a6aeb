import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './helpers.js';

/**
 * A throwaway three-master Redis Cluster on loopback, from the same
 * redis-server binary the local stack uses. Stopped (and its folder removed)
 * by `stop()`.
 */
export interface LocalCluster {
  nodes: string[];
  stop(): Promise<void>;
}


export async function startLocalCluster(): Promise<LocalCluster> {
  for (const bin of ['redis-server', 'redis-cli']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not on PATH: run 'bash deploy/local/stack.sh up' (it installs Redis) or set REDIS_CLUSTER_NODES`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  // Cluster bus port = port + 10000 must be free too, so pick ports below 55535.
  while (ports.length < 3) {
    const p = await freePort();
    if (p < 55535 && !ports.includes(p)) ports.push(p);
  }
  for (const port of ports) {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
      { stdio: 'ignore' },
    );
    procs.push(proc);
  }
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await waitFor(() => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', `redis on ${port}`, 10_000);
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await waitFor(
      () => spawnSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'),
      'cluster_state:ok',
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`), stop };
}
