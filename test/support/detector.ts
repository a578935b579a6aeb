import { createSchemaRegistry, type Finding } from '@vigil/contracts';
import { buildDetector, type DetectorService } from '@vigil/detector';
import { detectorsConfigSchema } from '@vigil/detectors';
import { createKafkaClient, type Admin, type KafkaClient, type Producer, type ReceivedMessage } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, scanKeys, type RedisClient } from '@vigil/redis';
import { RedisStateStore } from '@vigil/state';
import { createConfirmationStore, createSuppressionStore, RecordWatcher, type Confirmation, type Suppression } from '@vigil/records';
import { createMetricsRegistry, type Registry } from '@vigil/telemetry';
import { quietLogger, stackEnv, uniqueName } from './helpers.js';
import { findingsOf, followTopic } from './topics.js';

/** A detector service wired to the real stack, with its own topics, group and key prefix. */
export interface DetectorRig {
  kafka: KafkaClient;
  admin: Admin;
  /** A producer for the test's own events (closed by close()). */
  producer: Producer;
  redis: RedisClient;
  topics: { transactions: string; dlq: string; findings: string };
  groupId: string;
  prefix: string;
  /** The false-positive suppressions every started detector honours (refreshed every 200 ms). */
  suppressions: RecordWatcher<Suppression>;
  /** The true-positive confirmations every started detector honours (refreshed every 200 ms). */
  confirmations: RecordWatcher<Confirmation>;
  /** `config`: the detectors' thresholds; `options`: the service's own settings. */
  start(config?: Record<string, unknown>, options?: { checkpointIntervalMs?: number }): Promise<{ service: DetectorService; metrics: Registry }>;
  /** Collects every message of a topic from the beginning, until `stop`. */
  collect(topic: string): Promise<{ messages: ReceivedMessage[]; stop(): Promise<void> }>;
  /** Findings as the contract reads them (timestamps in epoch ms). */
  findingsOf(messages: readonly ReceivedMessage[]): Finding[];
  close(): Promise<void>;
}

/** `transactionsTopicConfig`: Kafka topic settings for the input topic (e.g. a larger max.message.bytes). */
export async function detectorRig(o: { transactionsTopicConfig?: Record<string, string> } = {}): Promise<DetectorRig> {
  const env = stackEnv();
  const logger = quietLogger();
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'vigil-it-detector' }, logger);
  const admin = await kafka.admin();
  const producer = await kafka.producer();
  const topics = { transactions: uniqueName('it.tx'), dlq: uniqueName('it.dlq'), findings: uniqueName('it.findings') };
  await admin.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 3, ...(topic === topics.transactions && o.transactionsTopicConfig ? { config: o.transactionsTopicConfig } : {}) })));
  const redis = createRedis({ url: env.REDIS_URL });
  await connectRedis(redis);
  const prefix = uniqueName('it').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const groupId = uniqueName('it-detector');
  const services: DetectorService[] = [];
  const followers: { stop(): Promise<void> }[] = [];
  const suppressions = new RecordWatcher({ store: createSuppressionStore(redis, prefix), refreshMs: 200 });
  const confirmations = new RecordWatcher({ store: createConfirmationStore(redis, prefix), refreshMs: 200 });

  return {
    kafka,
    admin,
    producer,
    redis,
    topics,
    groupId,
    prefix,
    suppressions,
    confirmations,
    async start(config = {}, options = {}) {
      await Promise.all([suppressions.start(), confirmations.start()]);
      const metrics = createMetricsRegistry('detector-it', { defaultMetrics: false });
      const service = buildDetector({
        kafka,
        registry: createSchemaRegistry({ url: env.SCHEMA_REGISTRY_URL }),
        store: new RedisStateStore({ redis, prefix }),
        redis,
        redisPrefix: prefix,
        logger,
        metrics,
        topics,
        groupId,
        fromBeginning: true,
        detectors: detectorsConfigSchema.parse(config),
        suppressions,
        confirmations,
        ...options,
      });
      await service.start();
      await service.joined();
      services.push(service);
      return { service, metrics };
    },
    async collect(topic) {
      const followed = await followTopic(kafka, topic);
      followers.push(followed);
      return followed;
    },
    findingsOf,
    async close() {
      suppressions.stop();
      confirmations.stop();
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      await Promise.all(followers.map((c) => c.stop().catch(() => undefined)));
      await producer.disconnect();
      await admin.deleteTopics(Object.values(topics)).catch(() => undefined);
      await admin.disconnect();
      await closeRedis(redis);
    },
  };
}

/** The sum of a metric's samples whose labels contain `label` (e.g. `channel="hook"`) in a /metrics text. */
export function sample(text: string, name: string, label: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+(?:\\.\\d+)?)`, 'gm'))) if (m[1]!.includes(label)) sum += Number(m[2]);
  return sum;
}

/** The value of an unlabelled (service-labelled only) counter or gauge in a /metrics text. */
export function metricValue(text: string, name: string): number {
  return Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+(?:\\.\\d+)?)`, 'm').exec(text)?.[1] ?? 0);
}

/** The calls a detector group's shared counters hold under `prefix`: the sum of every api's hour counts (`ah`, both directions). */
export async function sharedCalls(redis: RedisClient, prefix: string): Promise<number> {
  const keys = await scanKeys(redis, `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:{*}:ah:*`);
  let sum = 0;
  for (const key of keys) sum += Number((await redis.hget(key, 'n')) ?? 0);
  return sum;
}
