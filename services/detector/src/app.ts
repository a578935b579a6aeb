import { createCodec, findingContract, transactionContract, type Encoding, type Finding, type SchemaRegistryClient } from '@vigil/contracts';
import { DEFAULT_SLICE_MS, DetectionEngine, createThreatMatcher, parseThreatsDocument, type DetectorsConfig, type EnrichedEvent } from '@vigil/detectors';
import { DecodeError } from '@vigil/errors';
import type { Batch, Consumer, KafkaClient, OutgoingMessage, Producer } from '@vigil/kafka';
import type { RedisClient } from '@vigil/redis';
import { loadThreatsDocument, type StateStore } from '@vigil/state';
import { covers, type RecordWatcher, type Suppression } from '@vigil/suppressions';
import type { Logger, Registry } from '@vigil/telemetry';
import { deadLetterOf } from './dead-letter.js';
import { createGroupClock, processClock } from './group-clock.js';
import { createDetectorMetrics } from './metrics.js';

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
  /** False-positive verdicts (written by the notifier): findings they cover are not published. */
  suppressions?: RecordWatcher<Suppression>;
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
  /** Instrumentation: called after each batch (benchmarks, tests). */
  onBatch?: (info: { events: number; findings: number; deadLetters: number; durationMs: number }) => void;
}

export interface DetectorService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the consumer joined its group. */
  joined(): Promise<void>;
  /** False once the consumer crashed for good (liveness). */
  live(): boolean;
  readonly engine: DetectionEngine;
}

/**
 * Builds the detector service from its dependencies (connects nothing).
 * Per batch: decode every message (bad ones to the dead-letter topic with a
 * reason), run the engine (one state round trip), publish findings keyed by
 * id, wait for Kafka's acks, then let the offsets commit. A retriable error
 * (registry or Redis down, Kafka not acking) fails the batch, which is fetched
 * again: nothing is lost, and finding ids make the replay harmless.
 */
export function buildDetector(deps: DetectorDeps): DetectorService {
  const log = deps.logger.child({ component: 'detector' });
  const m = createDetectorMetrics(deps.metrics);
  const codec = createCodec(transactionContract, { registry: deps.registry, topic: deps.topics.transactions, maxMessageBytes: deps.maxMessageBytes });
  const findingCodec = createCodec(findingContract, { registry: deps.registry, topic: deps.topics.findings });
  const findingsEncoding = deps.findingsEncoding ?? 'json';
  const engine = new DetectionEngine({
    config: deps.detectors,
    store: deps.store,
    checkpoints: 'deferred',
    sliceMs: deps.sliceMs ?? DEFAULT_SLICE_MS,
    loadThreats: deps.redis
      ? async () => {
          const doc = await loadThreatsDocument(deps.redis!, deps.redisPrefix ?? 'vigil');
          const matcher = createThreatMatcher(parseThreatsDocument(doc));
          log.info({ entries: matcher.size }, 'known threats loaded');
          return matcher;
        }
      : undefined,
  });
  const lagByPartition = new Map<string, number>();
  /**
   * Per partition this process consumes, the earliest event time it still has to process: set when a
   * batch arrives (its earliest event), moved to the batch's latest event when it succeeds with more
   * behind it, removed when the partition is caught up. The earliest over the other partitions holds
   * back the engine's route and api windows (DetectionEngine.process, holdAt): this process's own,
   * and with Redis the whole group's (group-clock.ts).
   */
  const pendingSince = new Map<string, number>();
  const clock = deps.redis ? createGroupClock({ redis: deps.redis, prefix: deps.redisPrefix ?? 'vigil', groupId: deps.groupId, topic: deps.topics.transactions }) : processClock();
  const apiSeries = new Set<string>();
  /**
   * Per partition, the offset after the last batch that succeeded (what a commit would say), and the
   * last one committed. Offsets are committed only after a checkpoint that holds those batches' subject
   * state (flush): a restart or a new owner reads the subjects back from that checkpoint and replays
   * from that commit. Both are cleared when partitions move (a new generation).
   */
  const done = new Map<number, string>();
  const committed = new Map<number, string>();
  let generation = 0;
  let flushing: Promise<void> | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let crashed = false;
  let roundTripsSeen = 0;

  async function handleBatch(batch: Batch): Promise<void> {
    const started = performance.now();
    const stop = m.batchSeconds.startTimer();
    const startedIn = generation;
    const events: EnrichedEvent[] = [];
    const offsets: number[] = [];
    const deadLetters: OutgoingMessage[] = [];
    // Counted once the batch succeeds: a failed batch is fetched again and would count its bad messages twice.
    const rejectedCodes: string[] = [];
    // A retriable error (registry down and the like) throws here: the batch is fetched again.
    // Each event is enriched as it is decoded: the decoded object dies young instead of living as long as the batch.
    const decoded = await codec.decodeAll(batch.messages.map((message) => message.value), engine.enrichEvent);
    for (const [i, message] of batch.messages.entries()) {
      const result = decoded[i]!;
      if (!(result instanceof DecodeError)) {
        events.push(result);
        offsets.push(Number(message.offset));
      } else {
        const err = result;
        rejectedCodes.push(err.code);
        deadLetters.push(deadLetterOf(message, err, deps.maxDeadLetterBytes ?? DEFAULT_MAX_DEAD_LETTER_BYTES));
      }
    }
    const partitionKey = `${batch.topic}/${batch.partition}`;
    let earliest = Infinity;
    let latest = -Infinity;
    for (const e of events) {
      if (e.timestamp < earliest) earliest = e.timestamp;
      if (e.timestamp > latest) latest = e.timestamp;
    }
    if (events.length > 0) pendingSince.set(partitionKey, Math.min(earliest, pendingSince.get(partitionKey) ?? Infinity));
    const outcome = await engine.processEnriched(events, { holdAt: await clock.share(pendingSince, partitionKey), source: { key: partitionKey, offsets, highWatermark: Number(batch.highWatermark) } });
    // A suppressed finding is neither published nor marked published: if the
    // suppression is removed while its window is still open, it comes back.
    const published = deps.suppressions ? outcome.findings.filter((f) => !deps.suppressions!.find((s, now) => covers(s, f, now))) : outcome.findings;
    // Avro registers the schema on the first finding; the registry down fails the batch, which is retried.
    const findingMessages = await Promise.all(published.map(async (f: Finding) => ({ key: f.id, value: await findingCodec.encode(f, findingsEncoding) })));
    await Promise.all([producer!.send(deps.topics.dlq, deadLetters), producer!.send(deps.topics.findings, findingMessages)]);
    await engine.markPublished(published);

    m.consumed.inc(batch.messages.length);
    for (const code of rejectedCodes) m.rejected.labels(code).inc();
    m.batchEvents.observe(batch.messages.length);
    for (const f of published) m.findings.labels(f.detector, f.severity).inc();
    if (published.length < outcome.findings.length) for (const f of outcome.findings) if (!published.includes(f)) m.muted.labels(f.detector).inc();
    m.duplicates.inc(outcome.duplicates);
    if (outcome.capped) {
      m.capped.labels('routes').inc(outcome.capped.routes);
      m.capped.labels('checkpoints').inc(outcome.capped.checkpoints);
    }
    const trips = deps.store.roundTrips + clock.roundTrips;
    m.redisRoundTrips.inc(trips - roundTripsSeen);
    roundTripsSeen = trips;
    m.eventTime.set(engine.eventTime / 1000);
    for (const r of outcome.apiRates ?? []) {
      const series = `${r.api}\u0000${r.direction}`;
      if (!apiSeries.has(series)) {
        if (apiSeries.size >= (deps.maxApiSeries ?? 50)) continue;
        apiSeries.add(series);
      }
      m.apiObserved.labels(r.api, r.direction).set(r.observedPerMinute);
      if (r.expectedPerMinute !== undefined) m.apiExpected.labels(r.api, r.direction).set(r.expectedPerMinute);
    }
    const last = batch.messages[batch.messages.length - 1];
    // Committed with the next checkpoint (unless the partitions moved while this batch ran).
    if (last && startedIn === generation) done.set(batch.partition, (BigInt(last.offset) + 1n).toString());
    if (last) {
      const behind = Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1);
      lagByPartition.set(partitionKey, behind);
      if (behind === 0) {
        // Caught up: stop holding the group's windows now, not when the shared entry goes stale (best effort: it does in 30 s).
        if (pendingSince.delete(partitionKey)) {
          await clock.release(partitionKey).catch((err: unknown) => log.debug({ err, partition: batch.partition }, 'could not release the window clock'));
        }
      } else if (events.length > 0) pendingSince.set(partitionKey, latest);
    }
    m.lag.set([...lagByPartition.values()].reduce((a, b) => a + b, 0));
    stop();
    deps.onBatch?.({ events: batch.messages.length, findings: published.length, deadLetters: deadLetters.length, durationMs: performance.now() - started });
    if (outcome.findings.length > 0 || deadLetters.length > 0) {
      log.debug({ partition: batch.partition, events: outcome.events, findings: published.length, suppressed: outcome.findings.length - published.length, deadLetters: deadLetters.length }, 'batch');
    }
  }

  /**
   * Writes the checkpoints of the subjects changed since the last flush, then commits the offsets of
   * the batches that had succeeded when it began (their subject state is in that checkpoint). A
   * failure is logged and left to the next flush: nothing is committed past what is written.
   */
  function flush(): Promise<void> {
    flushing ??= (async () => {
      const gen = generation;
      const toCommit = [...done].filter(([p, o]) => committed.get(p) !== o).map(([partition, offset]) => ({ topic: deps.topics.transactions, partition, offset }));
      if (toCommit.length === 0 && engine.uncheckpointed === 0) return;
      const stopTimer = m.checkpointSeconds.startTimer();
      try {
        const written = await engine.checkpoint();
        m.checkpointSubjects.inc(written.subjects);
        m.capped.labels('checkpoints').inc(written.dropped);
        // Partitions moved meanwhile: their new owners start from the last commit.
        if (gen !== generation || !consumer) return;
        await consumer.commit(toCommit);
        for (const o of toCommit) committed.set(o.partition, o.offset);
        m.checkpoints.labels('ok').inc();
      } catch (err) {
        m.checkpoints.labels('failed').inc();
        log.warn({ err }, 'checkpoint or commit failed; retried with the next one (offsets stay at the last commit)');
      } finally {
        stopTimer();
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    engine,
    live: () => !crashed,
    joined: () => (consumer ? consumer.joined() : Promise.reject(new Error('not started'))),
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
          await flushing;
          await flush();
        },
        // Partitions may have moved: subjects held for them are read back from their checkpoints, and
        // partitions no longer ours must not hold the windows back.
        onJoin: () => {
          generation++;
          done.clear();
          committed.clear();
          engine.forgetSubjects();
          pendingSince.clear();
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
      flushTimer = setInterval(() => void flush(), every);
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
