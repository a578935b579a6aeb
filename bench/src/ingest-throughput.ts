/**
 * `npm run bench:ingest`: how fast vigil reads the logs it is pointed at, as JSON.
 *
 * 1. Parsing and converting, per format (no Kafka, no file): simulated traffic written as each source
 *    logs it (BENCH_LINES lines, 200,000 by default), then every line through the format's parser into
 *    an ApiTransaction and counted (what `vigil backtest` and `vigil publish` do with each line), on one
 *    core, in alternated rounds (BENCH_ROUNDS, 5); the median round's lines a second, and the best.
 * 2. The same for `combined` read from a file (the line reader included).
 * 3. `vigil publish --follow` end to end (needs Kafka: KAFKA_BROKERS, default the local stack's; skipped
 *    with a note when it does not answer, or BENCH_FOLLOW=0): the built CLI as a process following an
 *    empty file; BENCH_FOLLOW_LINES combined lines (100,000) appended at once; the time until every event
 *    is on the topic, acknowledged; lines a second (BENCH_FOLLOW_BATCH: its --batch-size, 500).
 *
 * The target (docs/performance.md): at least 200,000 lines a second parsing `combined` on one core.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiTransaction } from '@vigil/contracts';
import { Ingest, inputLines, lineWriter, type WritableFormat } from '@vigil/ingest';
import { createKafkaClient } from '@vigil/kafka';
import { simulate } from '@vigil/simulator';
import { createLogger } from '@vigil/telemetry';

const env = process.env;
const LINES = Number(env.BENCH_LINES ?? 200_000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5);
const FOLLOW_LINES = Number(env.BENCH_FOLLOW_LINES ?? 100_000);
const FOLLOW_BATCH = Number(env.BENCH_FOLLOW_BATCH ?? 500);
const FORMATS: WritableFormat[] = ['combined', 'nginx-json', 'envoy', 'alb', 'kong', 'vigil'];
const cli = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));

/** Simulated traffic (a clean day, then another, until there are `n` events). */
function traffic(n: number): ApiTransaction[] {
  const out: ApiTransaction[] = [];
  for (let seed = 1; out.length < n; seed++) for (const e of simulate({ scenario: 'clean-day', seed }).events) if (out.length < n) out.push(e);
  return out;
}

function parseAll(format: string, lines: readonly string[]): { seconds: number; events: number } {
  const ingest = new Ingest({ format, api: format === 'vigil' ? undefined : 'shop' });
  const t = process.hrtime.bigint();
  let events = 0;
  for (let i = 0; i < lines.length; i++) events += ingest.line(lines[i]!, { number: i + 1, id: `bench:${i + 1}` }).length;
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, events };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function followEndToEnd(events: readonly ApiTransaction[]): Promise<Record<string, unknown>> {
  if (env.BENCH_FOLLOW === '0') return { skipped: 'BENCH_FOLLOW=0' };
  const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const kafka = createKafkaClient({ brokers, clientId: 'vigil-bench-ingest', connectionTimeoutMs: 2000, retry: { retries: 1 } }, logger);
  let admin;
  try {
    admin = await kafka.admin();
  } catch (err) {
    return { skipped: `Kafka at ${brokers.join(',')} does not answer (${(err as Error).message.slice(0, 80)}); start it with deploy/local/stack.sh up` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-follow-'));
  const topic = `bench.ingest.follow-${Date.now().toString(36)}`;
  const file = join(dir, 'access.log');
  writeFileSync(file, '');
  await admin.ensureTopics([{ topic, partitions: 12 }]);
  const write = lineWriter('combined');
  const text = events.slice(0, FOLLOW_LINES).map(write).join('\n') + '\n';
  const { NODE_ENV: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [cli, 'publish', '--follow', file, '--format', 'combined', '--api', 'shop', '--topic', topic, '--poll-ms', '50', '--batch-size', String(FOLLOW_BATCH)], {
    env: { ...inherited, KAFKA_BROKERS: brokers.join(',') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    // The process has no readiness signal before its first batch: give it a moment to connect.
    await new Promise((r) => setTimeout(r, 1500));
    const t = Date.now();
    appendFileSync(file, text);
    const total = FOLLOW_LINES;
    for (;;) {
      const offsets = await admin.partitionOffsets(topic);
      const on = offsets.reduce((n, p) => n + Number(p.high), 0);
      if (on >= total) break;
      if (child.exitCode !== null) throw new Error(`vigil publish --follow exited with ${child.exitCode}: ${stderr.slice(-500)}`);
      if (Date.now() - t > 300_000) throw new Error(`only ${on} of ${total} on ${topic} after 300 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - t) / 1000;
    return { lines: total, seconds, linesPerSecond: Math.round(total / seconds), batchSize: FOLLOW_BATCH, partitions: 12 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const events = traffic(Math.max(LINES, FOLLOW_LINES));
  const sample = events.slice(0, LINES);
  const lines = Object.fromEntries(FORMATS.map((f) => [f, sample.map(lineWriter(f))])) as Record<WritableFormat, string[]>;
  // Warm every parser first, then alternate formats round by round (a slow moment of the host hits all alike).
  for (const f of FORMATS) parseAll(f, lines[f].slice(0, 20_000));
  const rounds: Record<string, number[]> = Object.fromEntries(FORMATS.map((f) => [f, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const f of FORMATS) {
      const { seconds, events: made } = parseAll(f, lines[f]);
      if (made !== LINES) throw new Error(`${f}: ${made} events from ${LINES} lines`);
      rounds[f]!.push(LINES / seconds);
    }
  }
  const parsing = Object.fromEntries(
    FORMATS.map((f) => [f, { linesPerSecond: Math.round(median(rounds[f]!)), best: Math.round(Math.max(...rounds[f]!)), bytesPerLine: Math.round(lines[f].reduce((n, l) => n + Buffer.byteLength(l), 0) / LINES) }]),
  );

  // combined from a file: the line reader (UTF-8 decoding, line splitting) included.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-'));
  const path = join(dir, 'access.log');
  writeFileSync(path, lines.combined.join('\n') + '\n');
  const fileRounds: number[] = [];
  for (let r = 0; r < Math.max(3, Math.ceil(ROUNDS / 2)); r++) {
    const ingest = new Ingest({ format: 'combined', api: 'shop' });
    const t = process.hrtime.bigint();
    for await (const { line, ref } of inputLines([path])) ingest.line(line, ref);
    fileRounds.push(LINES / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  rmSync(dir, { recursive: true, force: true });

  const follow = await followEndToEnd(events);
  const combined = parsing.combined!.linesPerSecond;
  console.log(
    JSON.stringify(
      {
        benchIngest: {
          lines: LINES,
          rounds: ROUNDS,
          node: process.version,
          parsing,
          combinedFromFile: { linesPerSecond: Math.round(median(fileRounds)) },
          publishFollow: follow,
          target: { combinedLinesPerSecond: 200_000, met: combined >= 200_000 },
        },
      },
      null,
      2,
    ),
  );
  if (combined < 200_000) process.exitCode = 1;
}

await main();
