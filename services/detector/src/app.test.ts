import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCodec, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { defaultDetectorsConfig } from '@vigil/detectors';
import type { Batch, CommitOffset, ConsumerOptions, KafkaClient, OutgoingMessage } from '@vigil/kafka';
import { MemoryStateStore } from '@vigil/state';
import { createLogger, Registry } from '@vigil/telemetry';
import { buildDetector, type DetectorDeps, type DetectorService } from './app.js';
import { detectorEvents, type InstrumentationEvent } from './instrumentation.js';

const topics = { transactions: 'tx', dlq: 'tx.dlq', findings: 'tx.findings' };
const T = Date.UTC(2026, 10, 23, 9, 0, 0);
const codec = createCodec(transactionContract, { topic: topics.transactions });

function event(i: number): ApiTransaction {
  return { id: `e-${i}`, timestamp: T + i * 1000, direction: 'inbound', api: 'accounts', method: 'GET', path: '/health', status: 200, latencyMs: 20, responseBytes: 500, clientIp: '198.51.100.1' };
}

/** A batch of partition 0 from `from`: the valid events, then `bad` messages that do not decode. */
function batchOf(from: number, valid: number, bad: number, highWatermark: number): Batch {
  const values = [...Array.from({ length: valid }, (_, i) => codec.encodeJson(event(from + i))), ...Array.from({ length: bad }, () => Buffer.from('not json at all'))];
  return {
    topic: topics.transactions,
    partition: 0,
    highWatermark: String(highWatermark),
    messages: values.map((value, i) => ({ topic: topics.transactions, partition: 0, offset: String(from + i), timestamp: T, key: null, value, headers: {} })),
  };
}

/** Kafka behind vigil's small interface, in memory: it keeps what the service sends and commits, and hands back the consumer's options to drive it. */
function fakeKafka() {
  const sent: { topic: string; messages: OutgoingMessage[] }[] = [];
  const commits: CommitOffset[][] = [];
  const state = { options: undefined as ConsumerOptions | undefined, sendsHeld: Promise.resolve(), sendsWaiting: 0, commitFails: false };
  const kafka: KafkaClient = {
    producer: async () => ({
      async send(topic, messages) {
        state.sendsWaiting++;
        await state.sendsHeld;
        state.sendsWaiting--;
        sent.push({ topic, messages: [...messages] });
      },
      disconnect: async () => undefined,
    }),
    consumer(options) {
      state.options = options;
      return {
        start: async () => undefined,
        stop: async () => options.beforeRevoke?.(),
        joined: async () => undefined,
        async commit(offsets) {
          if (state.commitFails) throw new Error('the group is rebalancing');
          commits.push([...offsets]);
        },
      };
    },
    admin: async () => {
      throw new Error('no admin here');
    },
    readRanges: async () => {
      throw new Error('no reading back here');
    },
  };
  const consumer = () => state.options!;
  return { kafka, sent, commits, state, consumer };
}

const started: DetectorService[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function startDetector(overrides: Partial<DetectorDeps> = {}) {
  const fake = fakeKafka();
  const metrics = new Registry();
  const events: InstrumentationEvent[] = [];
  const service = buildDetector({
    kafka: fake.kafka,
    store: new MemoryStateStore(),
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics,
    topics,
    groupId: 'g',
    fromBeginning: true,
    detectors: defaultDetectorsConfig,
    // The flushes are driven by the test (beforeRevoke), not by the timer.
    checkpointIntervalMs: 3_600_000,
    ...overrides,
  });
  for (const type of Object.values(detectorEvents)) service.on(type, (e) => events.push(e));
  await service.start();
  started.push(service);
  return { ...fake, service, metrics, events };
}

const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;

describe('buildDetector: the batch path', () => {
  it('emits a batch start, then a batch end with what the batch did; metrics and onBatch follow the end', async () => {
    const infos: unknown[] = [];
    const d = await startDetector({ onBatch: (info) => infos.push(info) });
    await d.consumer().eachBatch(batchOf(0, 3, 1, 10), { heartbeat: async () => undefined, isRunning: () => true });

    expect(d.events.map((e) => e.type)).toEqual(['detector.batch_start', 'detector.batch_end']);
    expect(d.events[0]!.payload).toEqual({ topic: 'tx', partition: 0, messages: 4, firstOffset: '0', lastOffset: '3', highWatermark: '10' });
    const end = d.events[1]!;
    expect(end.id).toBe(1);
    expect(end.payload).toMatchObject({ topic: 'tx', partition: 0, messages: 4, events: 3, deadLetterCodes: ['VIGIL_DECODE_UNKNOWN_FORMAT'], findingsPublished: [], findingsMuted: [], duplicates: 0, redisRoundTrips: 0, lagMessages: 6 });
    expect(infos).toEqual([{ events: 4, findings: 0, deadLetters: 1, durationMs: (end.payload as { durationMs: number }).durationMs }]);

    expect(d.sent.find((s) => s.topic === topics.dlq)?.messages.map((m) => m.headers?.['vigil-source'])).toEqual(['tx/0/3']);
    expect(await metricValue(d.metrics, 'vigil_events_consumed_total')).toBe(4);
    expect(await metricValue(d.metrics, 'vigil_events_rejected_total', { reason: 'VIGIL_DECODE_UNKNOWN_FORMAT' })).toBe(1);
    expect(await metricValue(d.metrics, 'vigil_consumer_lag_messages')).toBe(6);
  });

  it('a batch that fails emits no end: nothing is counted twice when it is fetched again', async () => {
    const d = await startDetector();
    d.state.sendsHeld = Promise.reject(new Error('kafka not acking'));
    d.state.sendsHeld.catch(() => undefined);
    await expect(d.consumer().eachBatch(batchOf(0, 2, 1, 3), { heartbeat: async () => undefined, isRunning: () => true })).rejects.toThrow('kafka not acking');
    expect(d.events.map((e) => e.type)).toEqual(['detector.batch_start']);
    expect(await metricValue(d.metrics, 'vigil_events_consumed_total')).toBe(0);
  });
});

describe('buildDetector: checkpoints and commits', () => {
  const context = { heartbeat: async () => undefined, isRunning: () => true };

  it('commits a batch only with the next flush, after its checkpoint, once', async () => {
    const d = await startDetector();
    await d.consumer().eachBatch(batchOf(0, 5, 0, 5), context);
    expect(d.commits).toEqual([]);
    await d.consumer().beforeRevoke!();
    expect(d.commits).toEqual([[{ topic: 'tx', partition: 0, offset: '5' }]]);
    const checkpoint = d.events.find((e) => e.type === detectorEvents.CHECKPOINT)!;
    expect(checkpoint.payload).toMatchObject({ outcome: 'ok', committed: [{ topic: 'tx', partition: 0, offset: '5' }] });
    expect(await metricValue(d.metrics, 'vigil_checkpoints_total', { outcome: 'ok' })).toBe(1);
    // Nothing new: no flush at all.
    await d.consumer().beforeRevoke!();
    expect(d.commits).toHaveLength(1);
    expect(d.events.filter((e) => e.type === detectorEvents.CHECKPOINT)).toHaveLength(1);
  });

  it('a failed commit is counted and retried by the next flush', async () => {
    const d = await startDetector();
    await d.consumer().eachBatch(batchOf(0, 2, 0, 2), context);
    d.state.commitFails = true;
    await d.consumer().beforeRevoke!();
    expect(d.events.at(-1)!.payload).toMatchObject({ outcome: 'failed', committed: [] });
    expect(await metricValue(d.metrics, 'vigil_checkpoints_total', { outcome: 'failed' })).toBe(1);
    d.state.commitFails = false;
    await d.consumer().beforeRevoke!();
    expect(d.commits).toEqual([[{ topic: 'tx', partition: 0, offset: '2' }]]);
  });

  it('does not commit a batch that started before the group joined again', async () => {
    const d = await startDetector();
    let release!: () => void;
    d.state.sendsHeld = new Promise<void>((r) => (release = r));
    const running = d.consumer().eachBatch(batchOf(0, 2, 0, 2), context);
    // The group joins again while the batch waits for Kafka's acks (its findings and dead letters).
    await vi.waitFor(() => expect(d.state.sendsWaiting).toBe(2));
    d.consumer().onJoin!();
    release();
    await running;
    await d.consumer().beforeRevoke!();
    expect(d.commits.flat()).toEqual([]);
  });
});
