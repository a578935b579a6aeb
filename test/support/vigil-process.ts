import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './helpers.js';

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));

/**
 * `vigil detector` or `vigil notifier` as a process (the built CLI, as
 * operators run it), with its metrics port chosen here. Everything it logs
 * is kept; `stop()` sends SIGTERM and reports the exit code (SIGKILL after
 * `graceMs`).
 */
export interface VigilProcess {
  readonly metricsUrl: string;
  /** Every JSON log line so far. */
  logs(): { level: number | string; msg: string; [k: string]: unknown }[];
  output(): string;
  /** The exit code once it exited (null: killed by a signal), undefined while it runs. */
  exitCode(): number | null | undefined;
  metrics(): Promise<string>;
  ready(timeoutMs?: number): Promise<void>;
  stop(graceMs?: number): Promise<number | null>;
}

export async function startVigilProcess(verb: 'detector' | 'notifier', env: NodeJS.ProcessEnv): Promise<VigilProcess> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first`);
  const port = await freePort();
  // As operators run it: vitest's NODE_ENV=test would also switch kafkajs to its test retry timings.
  const { NODE_ENV: _test, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, [cli, verb], { env: { ...inherited, LOG_LEVEL: 'info', ...env, HTTP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
  const metricsUrl = `http://127.0.0.1:${port}`;
  const died = () => new Error(`vigil ${verb} exited with ${code}:\n${output.slice(-3000)}`);

  return {
    metricsUrl,
    output: () => output,
    exitCode: () => code,
    logs: () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number | string; msg: string }),
    async metrics() {
      if (code !== undefined) throw died();
      return (await fetch(`${metricsUrl}/metrics`)).text();
    },
    async ready(timeoutMs = 60_000) {
      const ready = waitFor(async () => (await fetch(`${metricsUrl}/readyz`)).status === 200, `vigil ${verb} to be ready`, timeoutMs, 100);
      await Promise.race([ready, exited.then(() => Promise.reject(died()))]);
    },
    async stop(graceMs = 20_000) {
      if (code !== undefined) return code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const c = await exited;
      clearTimeout(timer);
      return c;
    },
  };
}
