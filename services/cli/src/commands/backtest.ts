import { readFileSync } from 'node:fs';
import { parseConfigText } from '@vigil/config';
import { validate, transactionContract, toWireJson, findingContract, type ApiTransaction, type Finding } from '@vigil/contracts';
import { DEFAULT_SLICE_MS, DetectionEngine, createThreatMatcher, detectorsConfigSchema, parseThreatsDocument } from '@vigil/detectors';
import { ConfigError, DecodeError } from '@vigil/errors';
import { closeRedis, connectRedis, createRedis } from '@vigil/redis';
import { MemoryStateStore, RedisStateStore, type StateStore } from '@vigil/state';
import { ndjsonLines } from './input.js';

export interface BacktestOptions {
  input: string;
  redis?: string;
  redisPrefix?: string;
  config?: string;
  threats?: string;
  batchSize: number;
  /** A batch spanning more event time than this is counted and judged in slices, as the detector service does (`DEFAULT_SLICE_MS` when undefined; 0: never). */
  sliceMs?: number;
}

export interface BacktestSummary {
  events: number;
  rejected: number;
  findings: number;
  byDetector: Record<string, number>;
  bySeverity: Record<string, number>;
  firstEvent?: string;
  lastEvent?: string;
  seconds: number;
  redisRoundTrips: number;
}

/**
 * Runs the detectors offline over NDJSON events with the event-time clock:
 * the same engine as the detector service, over in-memory state (or Redis
 * with --redis). Events are processed in file order, in batches of
 * `batchSize`, a batch spanning more than `sliceMs` of event time in
 * slices as the service counts a backlog; findings go to `out` as NDJSON.
 */
export async function backtest(options: BacktestOptions, out: (line: string) => void, warn: (line: string) => void): Promise<BacktestSummary> {
  const started = Date.now();
  const detectorSection = options.config ? readDetectorSection(options.config) : {};
  const parsed = detectorsConfigSchema.safeParse(detectorSection);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ source: `file ${options.config} at detectors.${i.path.join('.')}`, path: `detectors.${i.path.join('.')}`, message: i.message })));
  }
  const threats = options.threats ? createThreatMatcher(parseThreatsDocument(parseConfigText(readFileSync(options.threats, 'utf8'), options.threats))) : undefined;

  let redis: ReturnType<typeof createRedis> | undefined;
  let store: StateStore;
  if (options.redis) {
    redis = createRedis({ url: options.redis, connectionName: 'vigil-backtest' });
    await connectRedis(redis);
    store = new RedisStateStore({ redis, prefix: options.redisPrefix ?? 'vigil-backtest' });
  } else store = new MemoryStateStore();

  const engine = new DetectionEngine({ config: parsed.data, store, loadThreats: threats ? async () => threats : undefined, sliceMs: options.sliceMs ?? DEFAULT_SLICE_MS });
  const summary: BacktestSummary = { events: 0, rejected: 0, findings: 0, byDetector: {}, bySeverity: {}, seconds: 0, redisRoundTrips: 0 };
  let batch: ApiTransaction[] = [];
  let first: number | undefined;
  let last: number | undefined;

  const flush = async () => {
    if (batch.length === 0) return;
    const { findings } = await engine.process(batch);
    await engine.markPublished(findings);
    for (const f of findings) emit(f);
    batch = [];
  };
  const emit = (f: Finding) => {
    summary.findings++;
    summary.byDetector[f.detector] = (summary.byDetector[f.detector] ?? 0) + 1;
    summary.bySeverity[f.severity] = (summary.bySeverity[f.severity] ?? 0) + 1;
    out(JSON.stringify(toWireJson(findingContract, f)));
  };

  try {
    for await (const { line, number } of ndjsonLines(options.input)) {
      let event: ApiTransaction;
      try {
        event = validate(transactionContract, JSON.parse(line));
      } catch (err) {
        summary.rejected++;
        if (summary.rejected <= 10) warn(`line ${number}: ${err instanceof DecodeError ? `${err.code}: ${err.message}` : `not JSON: ${(err as Error).message}`}`);
        continue;
      }
      summary.events++;
      first = first === undefined ? event.timestamp : Math.min(first, event.timestamp);
      last = last === undefined ? event.timestamp : Math.max(last, event.timestamp);
      batch.push(event);
      if (batch.length >= options.batchSize) await flush();
    }
    await flush();
  } finally {
    if (redis) await closeRedis(redis);
  }
  if (first !== undefined) summary.firstEvent = new Date(first).toISOString();
  if (last !== undefined) summary.lastEvent = new Date(last).toISOString();
  summary.seconds = (Date.now() - started) / 1000;
  summary.redisRoundTrips = store.roundTrips;
  return summary;
}

function readDetectorSection(path: string): Record<string, unknown> {
  const doc = parseConfigText(readFileSync(path, 'utf8'), path);
  const section = (doc as { detectors?: unknown }).detectors ?? doc;
  return typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
}
