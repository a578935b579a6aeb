import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { parseConfigText } from '@vigil/config';
import { toWireJson, findingContract, type ApiTransaction, type Finding } from '@vigil/contracts';
import { DEFAULT_SLICE_MS, DetectionEngine, createThreatMatcher, detectorsConfigSchema, parseThreatsDocument } from '@vigil/detectors';
import { ConfigError, VigilError } from '@vigil/errors';
import { Ingest, inputLines, type InputTally } from '@vigil/ingest';
import { closeRedis, connectRedis, createRedis } from '@vigil/redis';
import { MemoryStateStore, RedisStateStore, type StateStore } from '@vigil/state';
import { ReportCollector } from './report/collect.js';
import { renderReport } from './report/html.js';

export interface BacktestOptions {
  /** Files read in turn (`-` = stdin, `.gz` accepted). */
  inputs?: readonly string[];
  /** One file (the same as `inputs: [input]`). */
  input?: string;
  /** `vigil` (NDJSON of ApiTransaction, the default), `combined`, `nginx-json`, `envoy`, `alb`, `kong`. */
  format?: string;
  /** A mapping file for another JSON log (instead of `format`). */
  map?: string;
  /** The api of every event. */
  api?: string;
  /** Write the HTML report here. */
  report?: string;
  redis?: string;
  redisPrefix?: string;
  config?: string;
  threats?: string;
  batchSize: number;
  /** A batch spanning more event time than this is counted and judged in slices, as the detector service does (`DEFAULT_SLICE_MS` when undefined; 0: never). */
  sliceMs?: number;
}

export interface BacktestSummary {
  format: string;
  lines: number;
  events: number;
  rejected: number;
  findings: number;
  byDetector: Record<string, number>;
  bySeverity: Record<string, number>;
  firstEvent?: string;
  lastEvent?: string;
  seconds: number;
  redisRoundTrips: number;
  /** Optional fields and how many events carried each (`latencyMs`: a duration from the source). */
  present: InputTally['present'];
  report?: string;
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
  const inputs = options.inputs ?? (options.input !== undefined ? [options.input] : []);
  if (inputs.length === 0) throw new VigilError('VIGIL_ARGUMENT', 'backtest needs at least one input (a file, or - for stdin)');
  for (const input of inputs) {
    if (input === '-') continue;
    try {
      accessSync(input, constants.R_OK);
    } catch (err) {
      throw new VigilError('VIGIL_ARGUMENT', `cannot read input ${input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  // Everything given is checked before anything is read: the format or map, thresholds, threats.
  const ingest = new Ingest({ format: options.format, map: options.map, api: options.api }, (r, listed) => {
    if (listed) warn(`line ${r.line}: ${r.reason}`);
    else if (ingest.tally.rejected === ingest.tally.rejections.length + 1) warn('(more rejected lines are counted, not listed)');
  });
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
  const summary: BacktestSummary = { format: ingest.name, lines: 0, events: 0, rejected: 0, findings: 0, byDetector: {}, bySeverity: {}, seconds: 0, redisRoundTrips: 0, present: ingest.tally.present };
  const report = options.report ? new ReportCollector() : undefined;
  let batch: ApiTransaction[] = [];
  let first: number | undefined;
  let last: number | undefined;

  const flush = async () => {
    if (batch.length === 0) return;
    const outcome = await engine.process(batch);
    await engine.markPublished(outcome.findings);
    report?.minutes(outcome.apiMinutes);
    for (const f of outcome.findings) emit(f);
    batch = [];
  };
  const emit = (f: Finding) => {
    summary.findings++;
    summary.byDetector[f.detector] = (summary.byDetector[f.detector] ?? 0) + 1;
    summary.bySeverity[f.severity] = (summary.bySeverity[f.severity] ?? 0) + 1;
    report?.finding(f);
    out(JSON.stringify(toWireJson(findingContract, f)));
  };

  try {
    for await (const { line, ref } of inputLines(inputs)) {
      for (const event of ingest.line(line, ref)) {
        first = first === undefined ? event.timestamp : Math.min(first, event.timestamp);
        last = last === undefined ? event.timestamp : Math.max(last, event.timestamp);
        report?.event(event);
        batch.push(event);
        if (batch.length >= options.batchSize) await flush();
      }
    }
    await flush();
  } finally {
    if (redis) await closeRedis(redis);
  }
  const t = ingest.tally;
  summary.lines = t.lines;
  summary.events = t.events;
  summary.rejected = t.rejected;
  if (first !== undefined) summary.firstEvent = new Date(first).toISOString();
  if (last !== undefined) summary.lastEvent = new Date(last).toISOString();
  summary.seconds = (Date.now() - started) / 1000;
  summary.redisRoundTrips = store.roundTrips;
  if (report && options.report) {
    const html = renderReport(report, {
      title: `vigil backtest: ${inputs.length === 1 ? inputs[0] : `${inputs.length} files`}`,
      inputs,
      format: ingest.name,
      tally: t,
      lacks: ingest.format.lacks,
      generatedAt: new Date().toISOString(),
      seconds: summary.seconds,
    });
    writeFileSync(options.report, html);
    summary.report = options.report;
  }
  return summary;
}

function readDetectorSection(path: string): Record<string, unknown> {
  const doc = parseConfigText(readFileSync(path, 'utf8'), path);
  const section = (doc as { detectors?: unknown }).detectors ?? doc;
  return typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
}
