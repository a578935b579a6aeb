import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseThreatsDocument } from '@vigil/detectors';
import { createKafkaClient, type Admin, type KafkaClient, type Producer, type ReceivedMessage } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis } from '@vigil/redis';
import { saveThreatsDocument } from '@vigil/state';
import { metricValue } from './detector.js';
import type { FaultTraffic } from './fault-traffic.js';
import { quietLogger, stackEnv, uniqueName, waitFor } from './helpers.js';
import { API_TOKEN } from './notifier.js';
import { startHttpSink, type HttpSink } from './receivers.js';
import { startVigilProcess, type VigilProcess } from './vigil-process.js';

/**
 * `vigil detector` and `vigil notifier` as processes on the Kafka and Redis a
 * fault test gives them (its own topics, groups and key prefix), a webhook
 * sink behind the notifier, and what the test needs to account for every
 * event afterwards: the topics read back from the start, the services'
 * metrics, and a timeline of the detector's progress (sampled every 250 ms).
 */
export interface FaultRig {
  kafka: KafkaClient;
  admin: Admin;
  /** Idempotent: a send retried after a failure writes nothing twice. */
  producer: Producer;
  topics: { transactions: string; dlq: string; findings: string; incidents: string };
  sink: HttpSink;
  detector: VigilProcess;
  notifier: VigilProcess;
  /** Events consumed by the detector over time (wall clock). */
  timeline: { at: number; consumed: number }[];
  /** Every message of a topic, from the beginning to its current end. */
  readTopic(topic: string): Promise<ReceivedMessage[]>;
  /** Waits until the detector and the notifier have handled everything on their topics and the outbox is empty. */
  drained(timeoutMs: number): Promise<void>;
  /** SIGTERM to both services; their exit codes. */
  stopServices(): Promise<{ detector: number | null; notifier: number | null }>;
  close(): Promise<void>;
}

/** Every finding wakes someone up through the webhook: one notification per incident (detector, api, subject), nothing time-driven during the test. */
const escalation = (hookUrl: string) => ({
  groupBy: ['detector', 'api', 'subject'],
  rules: [{ name: 'every finding', match: {}, tier: 'wake_up' }],
  repeatIntervalMs: 0,
  resolveAfterMs: 3_600_000,
  rateLimitPerMinute: 10_000,
  tiers: { wake_up: ['hook'] },
  channels: { hook: { type: 'webhook', url: hookUrl, timeoutMs: 2000 } },
});

/** `sinkDelayMs`: how long the webhook holds each reply (a slow receiver keeps deliveries in flight). */
export async function startFaultRig(o: { brokers: string; redisUrl: string; traffic: FaultTraffic; sinkDelayMs?: number }): Promise<FaultRig> {
  // What is started is stopped again, in reverse order, also when the setup fails half-way.
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    return await setUp(o, cleanups, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function setUp(o: { brokers: string; redisUrl: string; traffic: FaultTraffic; sinkDelayMs?: number }, cleanups: (() => Promise<unknown>)[], close: () => Promise<void>): Promise<FaultRig> {
  const kafka = createKafkaClient({ brokers: [o.brokers], clientId: 'vigil-it-fault' }, quietLogger());
  const admin = await kafka.admin();
  cleanups.push(() => admin.disconnect());
  const producer = await kafka.producer({ idempotent: true });
  cleanups.push(() => producer.disconnect());
  const topics = { transactions: uniqueName('it.fault.tx'), dlq: uniqueName('it.fault.dlq'), findings: uniqueName('it.fault.findings'), incidents: uniqueName('it.fault.incidents') };
  cleanups.push(() => Promise.race([admin.deleteTopics(Object.values(topics)), new Promise((r) => setTimeout(r, 5000))]));
  await admin.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 3 })));
  const prefix = uniqueName('itf').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const sink = await startHttpSink({ delayMs: o.sinkDelayMs ?? 0 });
  cleanups.push(() => sink.stop());
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fault-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));

  const redis = createRedis({ url: o.redisUrl });
  try {
    await connectRedis(redis);
    await saveThreatsDocument(redis, prefix, parseThreatsDocument({ entries: o.traffic.threats }));
  } finally {
    await closeRedis(redis);
  }
  writeFileSync(join(dir, 'escalation.json'), JSON.stringify(escalation(`${sink.url}/hook`)));
  writeFileSync(join(dir, 'notifier.json'), JSON.stringify({ delivery: { leaseMs: 3000, pollMs: 100, backoffInitialMs: 200, backoffMaxMs: 2000 }, tickMs: 500 }));
  const common = {
    KAFKA_BROKERS: o.brokers,
    SCHEMA_REGISTRY_URL: stackEnv().SCHEMA_REGISTRY_URL,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    VIGIL_TOPIC_TRANSACTIONS: topics.transactions,
    VIGIL_TOPIC_DLQ: topics.dlq,
    VIGIL_TOPIC_FINDINGS: topics.findings,
    VIGIL_TOPIC_INCIDENTS: topics.incidents,
    VIGIL_TOPIC_PARTITIONS: '3',
  };
  const groups = { detector: uniqueName('it-fault-detector'), notifier: uniqueName('it-fault-notifier') };
  const detector = await startVigilProcess('detector', { ...common, DETECTOR_GROUP_ID: groups.detector, DETECTOR_START: 'earliest' });
  cleanups.push(() => stopAndKeepLog(detector, 'detector'));
  const notifier = await startVigilProcess('notifier', {
    ...common,
    VIGIL_CONFIG: join(dir, 'notifier.json'),
    NOTIFIER_ESCALATION_FILE: join(dir, 'escalation.json'),
    NOTIFIER_API_TOKEN: API_TOKEN,
    NOTIFIER_API_PORT: '0',
    NOTIFIER_GROUP_ID: groups.notifier,
    NOTIFIER_START: 'earliest',
  });
  cleanups.push(() => stopAndKeepLog(notifier, 'notifier'));
  await Promise.all([detector.ready(), notifier.ready()]);

  const timeline: { at: number; consumed: number }[] = [];
  const sampler = setInterval(() => {
    detector
      .metrics()
      .then((text) => timeline.push({ at: Date.now(), consumed: metricValue(text, 'vigil_events_consumed_total') }))
      .catch(() => undefined);
  }, 250);
  cleanups.push(async () => clearInterval(sampler));

  const readTopic = async (topic: string): Promise<ReceivedMessage[]> => {
    const ends = await admin.lag(uniqueName('it-fault-probe'), topic);
    const total = ends.reduce((a, p) => a + Number(p.high), 0);
    const messages: ReceivedMessage[] = [];
    if (total === 0) return messages;
    const consumer = kafka.consumer({ groupId: uniqueName('it-fault-read'), topics: [topic], fromBeginning: true, eachBatch: async (b) => void messages.push(...b.messages) });
    await consumer.start();
    try {
      await waitFor(() => messages.length >= total, `the ${total} messages of ${topic}`, 30_000);
    } finally {
      await consumer.stop();
    }
    return messages;
  };
  const caughtUp = async (group: string, topic: string) => (await admin.lag(group, topic)).every((p) => p.lag === 0 && Number(p.committed) === Number(p.high));

  return {
    kafka,
    admin,
    producer,
    topics,
    sink,
    detector,
    notifier,
    timeline,
    readTopic,
    async drained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const left = () => Math.max(1000, deadline - Date.now());
      await waitFor(() => caughtUp(groups.detector, topics.transactions), 'the detector to commit the end of every input partition', left(), 250);
      await waitFor(() => caughtUp(groups.notifier, topics.findings), 'the notifier to commit the end of every findings partition', left(), 250);
      // The depth gauge is refreshed on the notifier's tick (500 ms here): only a reading a second after the findings were all read counts.
      const read = Date.now();
      await waitFor(async () => Date.now() - read > 1000 && metricValue(await notifier.metrics(), 'vigil_outbox_depth') === 0, 'the outbox to empty', left(), 250);
    },
    async stopServices() {
      const [d, n] = await Promise.all([detector.stop(), notifier.stop()]);
      return { detector: d, notifier: n };
    },
    close,
  };
}

/** Stops a service (if it still runs); VIGIL_IT_FAULT_LOGS=DIR keeps its log there (detector.log, notifier.log) for a look afterwards. */
async function stopAndKeepLog(p: VigilProcess, name: string): Promise<void> {
  await p.stop(5000);
  const keep = process.env.VIGIL_IT_FAULT_LOGS;
  if (keep) writeFileSync(join(keep, `${name}.log`), p.output());
}
