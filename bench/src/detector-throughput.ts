/**
 * npm run bench: publishes N realistic events (default 1,000,000; BENCH_EVENTS
 * to change) to a fresh topic on the local stack, then in one run measures
 *   (a) a bare kafkajs consumer that only decodes (JSON.parse) the topic, and
 *   (b) the detector consuming the same topic end to end with Redis state,
 * and prints one JSON line of figures (with what a subject's state costs:
 * the size of each held subject's checkpoint at the end). It then deletes its topics and its
 * Redis keys. BENCH_PARTITIONS (6), BENCH_CONCURRENCY (partitions the
 * detector processes at once, 2), BENCH_MAX_BYTES (the fetch size per
 * partition of both consumers, 4 MiB), BENCH_CHECKPOINT_MS (the
 * detector's checkpoint interval, the service's default 5 s),
 * BENCH_EVENT_RATE (events per second of event time, 2,000: lower spreads a
 * batch over more event time) and BENCH_SLICE_MS (the detector's
 * consumer.sliceMs, the service's default 60 s) change the setup.
 * BENCH_FLOOR (decode, count or sorted; floor.ts) measures, in place of the
 * detector, the least work any detector does with an event, as
 * `floorEventsPerSec` and `floorRatio` (a diagnostic, not the target).
 */
import { hostname, cpus } from 'node:os';
import { createCodec, transactionContract } from '@vigil/contracts';
import { buildDetector } from '@vigil/detector';
import { defaultDetectorsConfig } from '@vigil/detectors';
import { createKafkaClient, type ReceivedMessage } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, deletePrefix } from '@vigil/redis';
import { benchTraffic } from '@vigil/simulator';
import { RedisStateStore } from '@vigil/state';
import { createLogger, createMetricsRegistry } from '@vigil/telemetry';
import { floorMode, measureFloor } from './floor.js';
import { measureGc, perEvent } from './gc-figures.js';

const env = process.env;
const N = Number(env.BENCH_EVENTS ?? 1_000_000);
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:16379';
const PARTITIONS = Number(env.BENCH_PARTITIONS ?? 6);
const FLOOR = floorMode(env.BENCH_FLOOR);
const EVENT_RATE = Number(env.BENCH_EVENT_RATE ?? 2000);
const run = Date.now().toString(36);
const topic = `bench.transactions.${run}`;
const logger = createLogger({ service: 'bench', level: env.BENCH_LOG_LEVEL ?? 'error' });
const note = (s: string) => process.stderr.write(`bench: ${s}\n`);

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const kafka = createKafkaClient({ brokers, clientId: 'vigil-bench' }, logger);
  const admin = await kafka.admin();
  await admin.ensureTopics([{ topic, partitions: PARTITIONS }, { topic: `${topic}.dlq`, partitions: PARTITIONS }, { topic: `${topic}.findings`, partitions: PARTITIONS }]);

  // Publish.
  const codec = createCodec(transactionContract, { topic });
  const producer = await kafka.producer();
  let t = Date.now();
  let chunk: { key: string; value: Buffer }[] = [];
  let bytes = 0;
  for (const e of benchTraffic(N, undefined, EVENT_RATE)) {
    const value = codec.encodeJson(e);
    bytes += value.length;
    chunk.push({ key: e.principal ?? e.clientIp ?? e.clientId ?? e.api, value });
    if (chunk.length === 5000) {
      await producer.send(topic, chunk);
      chunk = [];
    }
  }
  await producer.send(topic, chunk);
  await producer.disconnect();
  note(`published ${N} events (${Math.round(bytes / N)} bytes each) in ${((Date.now() - t) / 1000).toFixed(1)} s to ${topic}`);

  // (a) Bare consumer: decode only.
  let seen = 0;
  let parsed = 0;
  let done!: () => void;
  let finished = new Promise<void>((r) => (done = r));
  const raw = kafka.consumer({
    groupId: `bench-raw-${run}`,
    topics: [topic],
    fromBeginning: true,
    maxBytesPerPartition: Number(env.BENCH_MAX_BYTES ?? 4 * 1024 * 1024),
    eachBatch: async (batch) => {
      for (const m of batch.messages as ReceivedMessage[]) {
        const obj = JSON.parse(m.value!.toString('utf8')) as { id?: string };
        if (obj.id) parsed++;
      }
      seen += batch.messages.length;
      if (seen >= N) done();
    },
  });
  t = Date.now();
  let cpu = process.cpuUsage();
  let gc = measureGc();
  let loop = performance.eventLoopUtilization();
  await raw.start();
  await finished;
  const rawSeconds = (Date.now() - t) / 1000;
  const rawCpu = process.cpuUsage(cpu);
  const rawGc = perEvent(gc.stop(), N);
  const rawLoopBusy = performance.eventLoopUtilization(loop).utilization;
  await raw.stop();
  note(`raw consumer: ${N} events in ${rawSeconds.toFixed(1)} s`);
  const rawEventsPerSec = Math.round(N / rawSeconds);
  const rawCpuUsPerEvent = Math.round(((rawCpu.user + rawCpu.system) / N) * 10) / 10;
  const machine = `${hostname()} ${cpus().length}x ${cpus()[0]?.model ?? 'cpu'} node ${process.version}`;

  if (FLOOR) {
    // In the detector's place (second, after the bare consumer), so that both ratios are taken alike.
    const floorEventsPerSec = await measureFloor(FLOOR, {
      kafka,
      topic,
      events: N,
      groupId: `bench-floor-${run}`,
      maxBytesPerPartition: Number(env.BENCH_MAX_BYTES ?? 4 * 1024 * 1024),
      partitionsConcurrently: Number(env.BENCH_CONCURRENCY ?? 2),
    });
    note(`floor (${FLOOR}): ${N} events at ${floorEventsPerSec}/s`);
    await admin.deleteTopics([topic, `${topic}.dlq`, `${topic}.findings`]).catch(() => undefined);
    await admin.disconnect();
    const floorRatio = Math.round((floorEventsPerSec / rawEventsPerSec) * 1000) / 1000;
    process.stdout.write(`${JSON.stringify({ events: N, rawEventsPerSec, floor: FLOOR, floorEventsPerSec, floorRatio, rawCpuUsPerEvent, machine })}\n`);
    return;
  }

  // (b) The detector, end to end with Redis.
  const redis = createRedis({ url: redisUrl, connectionName: 'vigil-bench' });
  await connectRedis(redis);
  const prefix = `bench-${run}`;
  const store = new RedisStateStore({ redis, prefix });
  const batchMs: number[] = [];
  let consumed = 0;
  let findings = 0;
  let peakRss = process.memoryUsage().rss;
  finished = new Promise<void>((r) => (done = r));
  const metrics = createMetricsRegistry('bench', { defaultMetrics: false });
  const service = buildDetector({
    kafka,
    store,
    redis,
    redisPrefix: prefix,
    logger,
    metrics,
    topics: { transactions: topic, dlq: `${topic}.dlq`, findings: `${topic}.findings` },
    groupId: `bench-detector-${run}`,
    fromBeginning: true,
    detectors: defaultDetectorsConfig,
    maxBytesPerPartition: Number(env.BENCH_MAX_BYTES ?? 4 * 1024 * 1024),
    partitionsConcurrently: Number(env.BENCH_CONCURRENCY ?? 2),
    checkpointIntervalMs: env.BENCH_CHECKPOINT_MS ? Number(env.BENCH_CHECKPOINT_MS) : undefined,
    sliceMs: env.BENCH_SLICE_MS ? Number(env.BENCH_SLICE_MS) : undefined,
    onBatch: (info) => {
      batchMs.push(info.durationMs);
      consumed += info.events;
      findings += info.findings;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (consumed >= N) done();
    },
  });
  t = Date.now();
  cpu = process.cpuUsage();
  gc = measureGc();
  loop = performance.eventLoopUtilization();
  await service.start();
  await finished;
  const detectorSeconds = (Date.now() - t) / 1000;
  const detectorCpu = process.cpuUsage(cpu);
  const detectorGc = perEvent(gc.stop(), N);
  const detectorLoopBusy = performance.eventLoopUtilization(loop).utilization;
  // What a subject costs: the checkpoint of each subject the detector holds at the end (its state, as stored).
  const footprint = service.engine.subjectFootprint();
  const subjectBytes = [...footprint.checkpointBytes].sort((a, b) => a - b);
  await service.stop();
  // Every Redis round trip of the service: the state store's and the group's window clock (its metric counts both).
  const trips = ((await metrics.getSingleMetric('vigil_redis_round_trips_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  // What the run wrote (counters and checkpoints, with hours to days of TTL) would otherwise stay on the stack's Redis.
  const deleted = await deletePrefix(redis, prefix);
  await closeRedis(redis);
  note(`detector: ${N} events in ${detectorSeconds.toFixed(1)} s, ${batchMs.length} batches, ${findings} findings; deleted its ${deleted} Redis keys`);

  await admin.deleteTopics([topic, `${topic}.dlq`, `${topic}.findings`]).catch(() => undefined);
  await admin.disconnect();

  batchMs.sort((a, b) => a - b);
  const detectorEventsPerSec = Math.round(N / detectorSeconds);
  process.stdout.write(
    `${JSON.stringify({
      events: N,
      rawEventsPerSec,
      detectorEventsPerSec,
      ratio: Math.round((detectorEventsPerSec / rawEventsPerSec) * 1000) / 1000,
      batchP50Ms: Math.round(quantile(batchMs, 0.5) * 10) / 10,
      batchP99Ms: Math.round(quantile(batchMs, 0.99) * 10) / 10,
      redisRoundTripsPerEvent: Math.round((trips / N) * 100000) / 100000,
      rssMB: Math.round(peakRss / 1024 / 1024),
      subjectsHeld: footprint.subjects,
      subjectBytesMean: Math.round(subjectBytes.reduce((a, b) => a + b, 0) / Math.max(1, subjectBytes.length)),
      subjectBytesP99: quantile(subjectBytes, 0.99),
      subjectBytesMax: subjectBytes.at(-1) ?? 0,
      // CPU time of this process (all its threads) per event in each phase: less sensitive to other load on the host than rates.
      rawCpuUsPerEvent,
      detectorCpuUsPerEvent: Math.round(((detectorCpu.user + detectorCpu.system) / N) * 10) / 10,
      // JS heap allocated and main-thread GC pauses per event in each phase: they depend on the code, not on the host's load.
      rawAllocatedBytesPerEvent: rawGc.allocatedBytesPerEvent,
      detectorAllocatedBytesPerEvent: detectorGc.allocatedBytesPerEvent,
      rawGcPauseUsPerEvent: rawGc.gcPauseUsPerEvent,
      detectorGcPauseUsPerEvent: detectorGc.gcPauseUsPerEvent,
      // Share of each phase the main thread was busy (event-loop utilisation): near 1, the phase is bound by its JavaScript.
      rawEventLoopBusy: Math.round(rawLoopBusy * 1000) / 1000,
      detectorEventLoopBusy: Math.round(detectorLoopBusy * 1000) / 1000,
      batches: batchMs.length,
      findings,
      partitions: PARTITIONS,
      eventRate: EVENT_RATE,
      machine,
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
