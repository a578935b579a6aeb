import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './helpers.js';

const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));

/** One JSON line of a vigil process's log. */
export interface LogLine {
  level: number | string;
  msg: string;
  [field: string]: unknown;
}

/**
 * `vigil detector` or `vigil notifier` as a process (the built CLI, as
 * operators run it), with its metrics port chosen here. Everything it logs
 * is kept; `stop()` sends SIGTERM and reports the exit code (SIGKILL after
 * `graceMs`). Every process started here is killed when the test process
 * exits, whatever happened.
 */
export interface VigilProcess {
  readonly pid: number;
  /** Wall clock just before the spawn: V8's --trace-gc times count from about here. */
  readonly spawnedAt: number;
  readonly metricsUrl: string;
  /** Every JSON log line so far (the same array, growing). */
  logs(): LogLine[];
  /** Everything it wrote, JSON or not. */
  output(): string;
  /** The exit code once it exited (null: killed by a signal), undefined while it runs. */
  exitCode(): number | null | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  metrics(): Promise<string>;
  ready(timeoutMs?: number): Promise<void>;
  /** Sends `signal` unless it has exited. */
  kill(signal: NodeJS.Signals): void;
  stop(graceMs?: number): Promise<number | null>;
}

export interface VigilProcessOptions {
  /**
   * Scheduling niceness (0: as the test). Two groups sharing a 2-core host
   * share it by process: a group of three at niceness 5 weighs about as
   * much as one process at 0, so both groups progress at the same pace.
   */
  nice?: number;
  /** Node's own flags, before the CLI (say --trace-gc). */
  nodeArgs?: readonly string[];
  /**
   * The process's environment is `env` alone (with LOG_LEVEL and HTTP_PORT),
   * nothing of the test's: a run that must start its processes with exactly
   * the settings it gives them, wherever it is launched from.
   */
  isolatedEnv?: boolean;
  /** Everything it outputs also goes to this file as it comes; `exited` waits until the file holds all of it. */
  logFile?: string;
}

const running = new Set<ChildProcess>();
let exitHook = false;
/** Kills `child` (SIGKILL) when the test process exits, if it still runs then. */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

export async function startVigilProcess(verb: 'detector' | 'notifier', env: NodeJS.ProcessEnv, options: VigilProcessOptions = {}): Promise<VigilProcess> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first`);
  const port = await freePort();
  // As operators run it: vitest's NODE_ENV=test would also switch kafkajs to its test retry timings.
  const { NODE_ENV: _test, ...inherited } = process.env;
  const base = options.isolatedEnv ? {} : inherited;
  const file = options.logFile ? createWriteStream(options.logFile) : undefined;
  const spawnedAt = Date.now();
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, verb], { env: { ...base, LOG_LEVEL: 'info', ...env, HTTP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  if (options.nice) setPriority(child.pid!, options.nice);
  let output = '';
  const logs: LogLine[] = [];
  let pending = '';
  const onData = (d: Buffer) => {
    file?.write(d);
    const text = d.toString();
    output += text;
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line after all
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let code: number | null | undefined;
  // 'close' comes once the pipes are drained, after 'exit'.
  const drained = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (c, signal) => {
      code = c;
      if (!file) return resolve({ code: c, signal });
      void drained.then(() => file.end(() => resolve({ code: c, signal })));
    }),
  );
  const metricsUrl = `http://127.0.0.1:${port}`;
  const died = () => new Error(`vigil ${verb} exited with ${code}:\n${output.slice(-3000)}`);

  return {
    pid: child.pid!,
    spawnedAt,
    metricsUrl,
    output: () => output,
    exitCode: () => code,
    logs: () => logs,
    exited,
    async metrics() {
      if (code !== undefined) throw died();
      return (await fetch(`${metricsUrl}/metrics`)).text();
    },
    async ready(timeoutMs = 60_000) {
      const ready = waitFor(async () => (await fetch(`${metricsUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200, `vigil ${verb} to be ready`, timeoutMs, 100);
      try {
        await Promise.race([ready, exited.then(() => Promise.reject(died()))]);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
    },
    kill(signal) {
      if (code === undefined) child.kill(signal);
    },
    async stop(graceMs = 20_000) {
      if (code !== undefined) return code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const { code: c } = await exited;
      clearTimeout(timer);
      return c;
    },
  };
}
