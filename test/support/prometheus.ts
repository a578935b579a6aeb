import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freePort, waitFor } from './helpers.js';

export const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a command from the repository root; never throws, returns status and output. */
export function run(cmd: string, args: readonly string[], o: { cwd?: string; timeoutMs?: number } = {}): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { cwd: o.cwd ?? repo, encoding: 'utf8', timeout: o.timeoutMs ?? 120_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, stdout: r.stdout ?? '' };
}

/** `promtool check metrics` over a scrape: its exit status and what it said (nothing when the exposition is clean). */
export function promtoolCheckMetrics(exposition: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * A rules file for a fast test, made from a real one: the same groups, rules
 * and expressions, with every alert's `for` replaced by `forDuration` and
 * every group evaluated every `interval`. Only timing changes.
 */
export function fastRules(text: string, o: { forDuration: string; interval: string }): string {
  const doc = parse(text) as { groups: { interval?: string; rules: { alert?: string; for?: string }[] }[] };
  for (const group of doc.groups) {
    group.interval = o.interval;
    for (const rule of group.rules) if (rule.alert && rule.for) rule.for = o.forDuration;
  }
  return stringify(doc);
}

export interface PrometheusInstance {
  url: string;
  /** GET /api/v1/<path>; throws unless status is success. */
  api<T>(path: string): Promise<T>;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  alerts(): Promise<{ labels: Record<string, string>; state: string; value: string }[]>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `prometheus` on a free loopback port with a throwaway config
 * and storage dir (removed by stop()). `rules` are written beside the config
 * and listed under rule_files; `targets` are static scrape jobs.
 */
export async function startPrometheus(o: { targets: Record<string, string[]>; rules: Record<string, string>; intervalS?: number }): Promise<PrometheusInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
  const interval = `${o.intervalS ?? 1}s`;
  for (const [name, text] of Object.entries(o.rules)) writeFileSync(join(dir, name), text);
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: Object.keys(o.rules),
    scrape_configs: Object.entries(o.targets).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const check = run('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
  if (check.status !== 0) throw new Error(`the throwaway config is invalid:\n${check.out}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}/api/v1/${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  }
  try {
    await waitFor(async () => child.exitCode === null && (await fetch(`${url}/-/ready`)).ok, 'prometheus to be ready', 30_000, 200);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.slice(-2000)}`);
  }
  return {
    url,
    api,
    query: async (expr) => (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: { labels: Record<string, string>; state: string; value: string }[] }>('alerts')).alerts,
    output: () => output,
    stop,
  };
}
