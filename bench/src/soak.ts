/**
 * npm run soak: 30 minutes (SOAK_MINUTES) at a steady 5,000 events/s
 * (SOAK_RATE) of realistic traffic, with attacks and malformed messages,
 * through a detector process and a notifier process on the local stack.
 * Samples their RSS, the soak's Redis memory and the consumer lag, and prints
 * one JSON document of figures on stdout (progress on stderr). Exits 1 when
 * the processes' memory grew 10% or more after the warm-up, a Redis key grew
 * or had no TTL, the lag grew without bound, the detector did not catch up,
 * or a secret reached a log line. How it measures: bench/src/soak-run.ts.
 *
 * Knobs: SOAK_MINUTES, SOAK_RATE, SOAK_SAMPLE_SECONDS, SOAK_WARMUP_FRACTION
 * (0.5), SOAK_TIME_SCALE (default: 90 minutes of event time over the run),
 * SOAK_TRACE_GC=0 (no --trace-gc), SOAK_NODE_OPTIONS (for both processes),
 * SOAK_PARTITIONS (6), SOAK_REDIS_DB (11), SOAK_LOG_DIR (where the processes'
 * logs go; kept unless SOAK_KEEP_LOGS=0), SOAK_KEEP_STATE=1 (keeps topics and
 * keys), KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL.
 */
import { mkdirSync } from 'node:fs';
import { runSoak } from './soak-run.js';

const env = process.env;
const num = (name: string, fallback: number): number => {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`soak: ${name} must be a positive number, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return n;
};

async function main(): Promise<void> {
  if (env.SOAK_LOG_DIR) mkdirSync(env.SOAK_LOG_DIR, { recursive: true });
  // The first Ctrl-C ends the load early (the run still drains, reports and cleans up); a second one exits at once.
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('soak: stopping early (again to exit at once)\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const report = await runSoak({
    signal: stop.signal,
    minutes: num('SOAK_MINUTES', 30),
    rate: num('SOAK_RATE', 5000),
    sampleEverySeconds: env.SOAK_SAMPLE_SECONDS ? num('SOAK_SAMPLE_SECONDS', 30) : undefined,
    warmupFraction: env.SOAK_WARMUP_FRACTION ? num('SOAK_WARMUP_FRACTION', 1 / 3) : undefined,
    timeScale: env.SOAK_TIME_SCALE ? num('SOAK_TIME_SCALE', 1) : undefined,
    partitions: num('SOAK_PARTITIONS', 6),
    traceGc: env.SOAK_TRACE_GC !== '0',
    nodeOptions: env.SOAK_NODE_OPTIONS,
    redisDb: env.SOAK_REDIS_DB ? Number(env.SOAK_REDIS_DB) : undefined,
    kafkaBrokers: env.KAFKA_BROKERS,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
    redisUrl: env.REDIS_URL,
    logDir: env.SOAK_LOG_DIR,
    keepLogs: env.SOAK_KEEP_LOGS !== '0',
    keepState: env.SOAK_KEEP_STATE === '1',
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.problems.length > 0) {
    process.stderr.write(`soak failed:\n${report.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
