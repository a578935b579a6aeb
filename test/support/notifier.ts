import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchemaRegistry, findingContract, toWireJson, type Finding, type Incident } from '@vigil/contracts';
import { createKafkaClient, type Admin, type Consumer, type KafkaClient, type Producer } from '@vigil/kafka';
import { buildNotifier, createEscalationSource, type LockoutOptions, type NotifierService } from '@vigil/notifier';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '@vigil/redis';
import { createLogger, createMetricsRegistry, type Registry } from '@vigil/telemetry';
import { sampleFinding } from '../../libs/contracts/src/samples.fixture.js';
import { stackEnv, uniqueName } from './helpers.js';

export const API_TOKEN = 'it-token-0123456789abcdef';

/** A notifier service wired to the real stack, with its own topics, group, key prefix and escalation file, and a wall clock the test can move. */
export interface NotifierRig {
  kafka: KafkaClient;
  admin: Admin;
  producer: Producer;
  redis: RedisClient;
  topics: { findings: string; incidents: string };
  prefix: string;
  groupId: string;
  escalationFile: string;
  /** Milliseconds added to the notifier's wall clock. */
  skew: { ms: number };
  /** Every log line the notifier wrote (JSON), with its Kafka client's warnings and errors. */
  logs: Record<string, unknown>[];
  start(): Promise<{ service: NotifierService; api: string; metrics: Registry }>;
  /** Writes the escalation file (atomically: a rename, as editors and ConfigMaps do). */
  writeEscalation(doc: unknown): void;
  publish(findings: readonly Finding[]): Promise<void>;
  /** Collects Incident v1 changes from the incidents topic. */
  incidents(): Promise<{ changes: Incident[]; stop(): Promise<void> }>;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

let counter = 0;
/** A valid Finding v1 of now; ids are unique unless given. */
export function finding(over: Partial<Finding> = {}): Finding {
  const now = Date.now();
  return sampleFinding(
    {
      id: `it-finding-${now.toString(36)}-${++counter}`,
      route: '/users/{id}',
      windowStart: now - 60_000,
      windowEnd: now,
      title: 'Burst from 198.51.100.7 on accounts',
      description: 'Request rate 20x the baseline.',
      evidence: { observed: 200, baseline: 10 },
      eventIds: ['e-1'],
      ...over,
    },
    now,
  );
}

export async function notifierRig(escalation: unknown, shared: { prefix?: string; findingsTopic?: string; lockout?: Partial<LockoutOptions> } = {}): Promise<NotifierRig> {
  const env = stackEnv();
  const logs: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) };
  const logger = createLogger({ service: 'notifier-it', level: 'info', destination });
  // The Kafka client's warnings and errors (a failed batch, a crashed consumer) land in the same list, for a test's failure message.
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'vigil-it-notifier' }, createLogger({ service: 'notifier-it-kafka', level: 'warn', destination }));
  const admin = await kafka.admin();
  const producer = await kafka.producer();
  const topics = { findings: shared.findingsTopic ?? uniqueName('it.findings'), incidents: uniqueName('it.incidents') };
  await admin.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 3 })));
  const ownTopics = shared.findingsTopic ? [topics.incidents] : Object.values(topics);
  const redis = createRedis({ url: env.REDIS_URL });
  await connectRedis(redis);
  const prefix = shared.prefix ?? uniqueName('itn').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const groupId = uniqueName('it-notifier');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-notifier-'));
  const escalationFile = join(dir, 'escalation.json');
  const writeEscalation = (doc: unknown) => {
    writeFileSync(`${escalationFile}.tmp`, JSON.stringify(doc, null, 2));
    renameSync(`${escalationFile}.tmp`, escalationFile);
  };
  writeEscalation(escalation);
  const skew = { ms: 0 };
  const services: NotifierService[] = [];
  const consumers: Consumer[] = [];
  let apiUrl = '';

  return {
    kafka,
    admin,
    producer,
    redis,
    topics,
    prefix,
    groupId,
    escalationFile,
    skew,
    logs,
    writeEscalation,
    async start() {
      const metrics = createMetricsRegistry('notifier-it', { defaultMetrics: false });
      const service = buildNotifier({
        kafka,
        registry: createSchemaRegistry({ url: env.SCHEMA_REGISTRY_URL }),
        redis,
        redisPrefix: prefix,
        escalation: createEscalationSource({ file: escalationFile, env: process.env, checkMs: 200, logger }),
        logger,
        metrics,
        topics,
        groupId,
        fromBeginning: true,
        api: { token: API_TOKEN, maxBodyBytes: 4096, lockout: shared.lockout },
        delivery: { pollMs: 100, claimLimit: 1000, leaseMs: 10_000, maxAttempts: 100, backoffInitialMs: 500, backoffMaxMs: 4000 },
        tickMs: 200,
        clock: () => Date.now() + skew.ms,
        recordsRefreshMs: 500,
      });
      const address = await service.listenApi(0);
      apiUrl = `http://127.0.0.1:${address.port}`;
      await service.start();
      await service.joined();
      services.push(service);
      return { service, api: apiUrl, metrics };
    },
    async publish(findings) {
      await producer.send(
        topics.findings,
        findings.map((f) => ({ key: f.id, value: JSON.stringify(toWireJson(findingContract, f)) })),
      );
    },
    async incidents() {
      const changes: Incident[] = [];
      const consumer = kafka.consumer({
        groupId: uniqueName('it-incidents'),
        topics: [topics.incidents],
        fromBeginning: true,
        eachBatch: async (b) => void changes.push(...b.messages.map((m) => JSON.parse(m.value!.toString()) as Incident)),
      });
      await consumer.start();
      consumers.push(consumer);
      return { changes, stop: () => consumer.stop() };
    },
    api(path, init = {}) {
      const { json, ...rest } = init;
      return fetch(`${apiUrl}${path}`, {
        ...rest,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...(rest.headers as Record<string, string> | undefined) },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
    async close() {
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      await Promise.all(consumers.map((c) => c.stop().catch(() => undefined)));
      await producer.disconnect();
      await admin.deleteTopics(ownTopics).catch(() => undefined);
      await admin.disconnect();
      await closeRedis(redis);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
