import { createCodec, findingContract, transactionContract, type Encoding, type Finding, type SchemaRegistryClient } from '@vigil/contracts';
import { DEFAULT_SLICE_MS, DetectionEngine, createThreatMatcher, parseThreatsDocument, type DetectorsConfig, type VerdictLookup } from '@vigil/detectors';
import type { CommitOffset, Consumer, KafkaClient, OutgoingMessage, Producer } from '@vigil/kafka';
import type { RedisClient } from '@vigil/redis';
import { loadThreatsDocument, type StateStore } from '@vigil/state';
import { covers, type Confirmation, type RecordWatcher, type Suppression } from '@vigil/records';
import type { Logger, Registry } from '@vigil/telemetry';
import { createBatchHandler } from './batch-handler.js';
import { createCommitLedger, type CommitLedger } from './commit-ledger.js';
import { createGroupClock, processClock } from './group-clock.js';
import { createInstrumentation, detectorEvents, type CheckpointPayload, type DetectorEventType, type DetectorInstrumentation, type InstrumentationListener } from './instrumentation.js';
import { recordDetectorMetrics } from './metrics.js';
import { createPendingEventTimes } from './pending-event-times.js';

/** Below the broker's default message.max.bytes (1 MB), leaving room for the headers. */
export const DEFAULT_MAX_DEAD_LETTER_BYTES = 900 * 1024;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5000;

export interface DetectorDeps {
  kafka: KafkaClient;
  registry?: SchemaRegistryClient;
  store: StateStore;
  /** Where the known-threats document is read from (the same Redis as the store). */
  redis?: RedisClient;
  redisPrefix?: string;
  logger: Logger;
  metrics: Registry;
  topics: { transactions: string; dlq: string; findings: string };
  /** How findings are written (default json); avro needs the registry, and registers `<findings topic>-value`. */
  findingsEncoding?: Encoding;
  groupId: string;
  fromBeginning: boolean;
  detectors: DetectorsConfig;
  maxMessageBytes?: number;
  maxBytesPerPartition?: number;
  /** Bodies larger than this are dead-lettered without their bytes (the dead-letter topic would refuse them). */
  maxDeadLetterBytes?: number;
  /** False-positive verdicts (written by the notifier): findings they cover are not published, and their subjects learn them as usual. */
  suppressions?: RecordWatcher<Suppression>;
  /** True-positive verdicts (written by the notifier): what they cover is never learned as business-as-usual. */
  confirmations?: RecordWatcher<Confirmation>;
  /** At most this many apis get their own observed/expected series (api names come from traffic: the label set stays bounded). */
  maxApiSeries?: number;
  /** Partitions whose batches are processed at once (one computes while another waits on Redis or Kafka). */
  partitionsConcurrently?: number;
  /**
   * How often the changed subjects' checkpoints are written, and the offsets of the batches they hold
   * then committed (default 5000 ms). Longer writes a busy subject's checkpoint less often; a crash
   * or a rebalance replays more (from the last commit).
   */
  checkpointIntervalMs?: number;
  /**
   * A batch whose events span more event time than this (a backlog after an outage) is counted and judged
   * in slices of at most this span, so its route windows are judged as they pass, not once at its end
   * (default 60000 ms; 0: never sliced).
   */
  sliceMs?: number;
  /** Called after each batch that succeeded (benchmarks, tests); `events` counts its messages, valid or not. Subscribers of `on` get more. */
  onBatch?: (info: { events: number; findings: number; deadLetters: number; durationMs: number }) => void;
}

export interface DetectorService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the consumer joined its group. */
  joined(): Promise<void>;
  /** False once the consumer crashed for good (liveness). */
  live(): boolean;
  /** Subscribes to one of its instrumentation events (`detectorEvents`); returns the function that unsubscribes. */
  on<T extends DetectorEventType>(type: T, listener: InstrumentationListener<T>): () => void;
  readonly engine: DetectionEngine;
}

/**
 * Builds the detector service from its dependencies (connects nothing): the batch handler
 * (batch-handler.ts) as the consumer's `eachBatch`, and every few seconds a flush that writes the
 * changed subjects' checkpoints, then commits the offsets the commit ledger holds. Metrics, `onBatch`
 * and the batch log subscribe to its instrumentation events. A retriable error (registry or Redis
 * down, Kafka not acking) fails the batch, which is fetched again: nothing is lost, and finding ids
 * make the replay harmless.
 */
export function buildDetector(deps: DetectorDeps): DetectorService {
  const log = deps.logger.child({ component: 'detector' });
  const instrumentation = createInstrumentation();
  recordDetectorMetrics(instrumentation, deps.metrics, { maxApiSeries: deps.maxApiSeries });
  if (deps.onBatch) reportBatchesTo(deps.onBatch, instrumentation);
  logBatchesWithFindingsOrDeadLetters(instrumentation, log);
  const engine = createEngine(deps, log);
  const clock = deps.redis ? createGroupClock({ redis: deps.redis, prefix: deps.redisPrefix ?? 'vigil', groupId: deps.groupId, topic: deps.topics.transactions }) : processClock();
  const pending = createPendingEventTimes(clock, log);
  const ledger = createCommitLedger(deps.topics.transactions);
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let crashed = false;
  const flusher = createFlusher({ engine, ledger, instrumentation, log, consumer: () => consumer });
  const handleBatch = createBatchHandler({
    engine,
    codec: createCodec(transactionContract, { registry: deps.registry, topic: deps.topics.transactions, maxMessageBytes: deps.maxMessageBytes }),
    publish: createPublisher(deps, () => producer!),
    muted: (finding) => deps.suppressions?.find((s, now) => covers(s, finding, now)) !== undefined,
    maxDeadLetterBytes: deps.maxDeadLetterBytes ?? DEFAULT_MAX_DEAD_LETTER_BYTES,
    pending,
    ledger,
    instrumentation,
    redisRoundTrips: () => deps.store.roundTrips + clock.roundTrips,
  });

  return {
    engine,
    live: () => !crashed,
    joined: () => (consumer ? consumer.joined() : Promise.reject(new Error('not started'))),
    on: (type, listener) => instrumentation.on(type, listener),
    async start() {
      producer = await deps.kafka.producer();
      consumer = deps.kafka.consumer({
        groupId: deps.groupId,
        topics: [deps.topics.transactions],
        fromBeginning: deps.fromBeginning,
        maxBytesPerPartition: deps.maxBytesPerPartition,
        partitionsConcurrently: deps.partitionsConcurrently ?? 2,
        commits: 'manual',
        // Stopping, or the group rebalancing: one more checkpoint and commit, after any flush under way (it
        // may have begun before the last batches finished).
        beforeRevoke: async () => {
          await flusher.running;
          await flusher.flush();
        },
        // Partitions may have moved: subjects held for them are read back from their checkpoints, and
        // partitions no longer ours must not hold the windows back.
        onJoin: () => {
          ledger.join();
          engine.forgetSubjects();
          pending.forgetAll();
        },
        onCrash: (err) => {
          crashed = true;
          log.fatal({ err }, 'consumer stopped for good');
        },
        // A throw fails the batch: the kafka library logs it and the batch is fetched again.
        eachBatch: handleBatch,
      });
      await consumer.start();
      const every = deps.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
      flushTimer = setInterval(() => void flusher.flush(), every);
      log.info({ topic: deps.topics.transactions, groupId: deps.groupId }, 'detector consuming');
    },
    async stop() {
      clearInterval(flushTimer);
      await consumer?.stop();
      await producer?.disconnect();
      log.info('detector stopped');
    },
  };
}

function createEngine(deps: DetectorDeps, log: Logger): DetectionEngine {
  return new DetectionEngine({
    config: deps.detectors,
    store: deps.store,
    checkpoints: 'deferred',
    sliceMs: deps.sliceMs ?? DEFAULT_SLICE_MS,
    verdictOf: verdictsOf(deps),
    loadThreats: deps.redis
      ? async () => {
          const doc = await loadThreatsDocument(deps.redis!, deps.redisPrefix ?? 'vigil');
          const matcher = createThreatMatcher(parseThreatsDocument(doc));
          log.info({ entries: matcher.size }, 'known threats loaded');
          return matcher;
        }
      : undefined,
  });
}

/** The verdict that covers a finding about to be judged against its subject's history: a confirmation, else a suppression. */
function verdictsOf(deps: DetectorDeps): VerdictLookup | undefined {
  const { confirmations, suppressions } = deps;
  if (!confirmations && !suppressions) return undefined;
  return (d) => {
    if (confirmations?.find((c, now) => covers(c, d, now))) return 'true_positive';
    if (suppressions?.find((s, now) => covers(s, d, now))) return 'false_positive';
    return undefined;
  };
}

/** Sends a batch's findings (keyed by id, in the configured encoding) and dead letters; resolves once Kafka acknowledged both. */
function createPublisher(deps: DetectorDeps, producer: () => Producer): (findings: readonly Finding[], deadLetters: readonly OutgoingMessage[]) => Promise<void> {
  const findingCodec = createCodec(findingContract, { registry: deps.registry, topic: deps.topics.findings });
  const encoding = deps.findingsEncoding ?? 'json';
  return async (findings, deadLetters) => {
    // Avro registers the schema on the first finding; the registry down fails the batch, which is retried.
    const findingMessages = await Promise.all(findings.map(async (f) => ({ key: f.id, value: await findingCodec.encode(f, encoding) })));
    await Promise.all([producer().send(deps.topics.dlq, deadLetters), producer().send(deps.topics.findings, findingMessages)]);
  };
}

interface Flusher {
  /** Starts a flush, or returns the one under way. */
  flush(): Promise<void>;
  /** The flush under way, if any. */
  readonly running: Promise<void> | undefined;
}

/**
 * A flush writes the checkpoints of the subjects changed since the last one, then commits the offsets
 * of the batches that had succeeded when it began (their subject state is in that checkpoint). A
 * failure is logged and left to the next flush: nothing is committed past what is written.
 */
function createFlusher(parts: { engine: DetectionEngine; ledger: CommitLedger; instrumentation: DetectorInstrumentation; log: Logger; consumer: () => Consumer | undefined }): Flusher {
  const { engine, ledger, log } = parts;
  let running: Promise<void> | undefined;

  async function checkpointAndCommit(): Promise<void> {
    const generation = ledger.generation;
    const toCommit = ledger.toCommit();
    if (toCommit.length === 0 && engine.uncheckpointed === 0) return;
    const started = performance.now();
    const result = await writeThenCommit(generation, toCommit);
    parts.instrumentation.emit(detectorEvents.CHECKPOINT, { ...result, durationMs: performance.now() - started });
  }

  async function writeThenCommit(generation: number, toCommit: CommitOffset[]): Promise<Omit<CheckpointPayload, 'durationMs'>> {
    let written: CheckpointPayload['written'];
    try {
      written = await engine.checkpoint();
      const consumer = parts.consumer();
      // Partitions moved meanwhile: their new owners start from the last commit.
      if (generation !== ledger.generation || !consumer) return { outcome: 'superseded', written, committed: [] };
      await consumer.commit(toCommit);
      ledger.committed(toCommit);
      return { outcome: 'ok', written, committed: toCommit };
    } catch (err) {
      log.warn({ err }, 'checkpoint or commit failed; retried with the next one (offsets stay at the last commit)');
      return { outcome: 'failed', written, committed: [], error: err };
    }
  }

  return {
    get running() {
      return running;
    },
    flush() {
      running ??= checkpointAndCommit().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

/** `onBatch` as it always was: after each batch that succeeded, `events` counting its messages, valid or not. */
function reportBatchesTo(onBatch: NonNullable<DetectorDeps['onBatch']>, instrumentation: DetectorInstrumentation): void {
  instrumentation.on(detectorEvents.BATCH_END, ({ payload }) => onBatch({ events: payload.messages, findings: payload.findingsPublished.length, deadLetters: payload.deadLetterCodes.length, durationMs: payload.durationMs }));
}

function logBatchesWithFindingsOrDeadLetters(instrumentation: DetectorInstrumentation, log: Logger): void {
  instrumentation.on(detectorEvents.BATCH_END, ({ payload: b }) => {
    if (b.findingsPublished.length + b.findingsMuted.length > 0 || b.deadLetterCodes.length > 0) {
      log.debug({ partition: b.partition, events: b.events, findings: b.findingsPublished.length, suppressed: b.findingsMuted.length, deadLetters: b.deadLetterCodes.length }, 'batch');
    }
  });
}
