import { CompressionTypes, Kafka, Partitioners, type KafkaMessage, type SASLOptions } from 'kafkajs';
import { KafkaError, VigilError, isRetriable } from '@vigil/errors';
import type { Logger } from '@vigil/telemetry';
import { requestChunks } from './chunks.js';
import { kafkaLogCreator, kafkaLogLevel } from './logging.js';
import { trackedSocketFactory } from './sockets.js';
import { randomBytes } from 'node:crypto';
import type { Admin, CommitOffset, Consumer, ConsumerOptions, Headers, KafkaConfig, OffsetRange, OutgoingMessage, PartitionLag, PartitionOffsets, Producer, ReceivedMessage, TopicSpec } from './types.js';

export interface KafkaClient {
  producer(options?: { idempotent?: boolean; compression?: 'none' | 'gzip' }): Promise<Producer>;
  consumer(options: ConsumerOptions): Consumer;
  admin(): Promise<Admin>;
  /**
   * Reads the messages of `ranges` of `topic` (a consumer of a throwaway group that commits nothing), handing
   * each to `each`, in order per partition; resolves once every range is read, or throws after `timeoutMs`.
   * For a producer that must know which of its messages reached the topic before it crashed.
   */
  readRanges(topic: string, ranges: readonly OffsetRange[], each: (m: ReceivedMessage) => void, timeoutMs?: number): Promise<void>;
}

/**
 * How a consumer's connections retry while its broker is away: about a
 * minute (300 ms doubling to 3 s, then every 3 s), so a broker restart does
 * not make it give up. A consumer that gives up is restarted by kafkajs as a
 * new group member, and the coordinator then holds the whole group until the
 * old member's session times out (30 s more of nothing consumed after the
 * broker is back). The 3 s ceiling is how late it notices the broker return.
 */
const CONSUMER_RETRY = { initialRetryTime: 300, maxRetryTime: 3000, retries: 25 } as const;

/** Builds a client; validates options now, connects nothing until a producer, consumer or admin is asked for. */
export function createKafkaClient(config: KafkaConfig, logger: Logger): KafkaClient {
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) {
    throw new VigilError('VIGIL_ARGUMENT', 'Kafka needs at least one broker (host:port)');
  }
  for (const b of config.brokers) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(b)) throw new VigilError('VIGIL_ARGUMENT', `Kafka broker must be host:port, got ${JSON.stringify(b)}`);
  }
  const log = logger.child({ component: 'kafka' });
  const connection = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl ?? false,
    sasl: config.sasl as SASLOptions | undefined,
    connectionTimeout: config.connectionTimeoutMs ?? 3000,
    requestTimeout: config.requestTimeoutMs ?? 30000,
    logLevel: kafkaLogLevel(log),
    logCreator: kafkaLogCreator(log),
  };
  const kafka = new Kafka({
    ...connection,
    retry: {
      initialRetryTime: config.retry?.initialRetryTimeMs ?? 100,
      retries: config.retry?.retries ?? 8,
      maxRetryTime: config.retry?.maxRetryTimeMs ?? 10000,
    },
  });

  return {
    async producer(options = {}) {
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: options.idempotent ?? false,
        maxInFlightRequests: options.idempotent ? 1 : undefined,
        allowAutoTopicCreation: false,
      });
      await wrap('VIGIL_KAFKA_CONNECT', 'connect the producer', () => producer.connect());
      const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
      return {
        async send(topic: string, messages: readonly OutgoingMessage[]) {
          // In order, one bounded request after another: the broker refuses a partition's batch over its limit whole.
          for (const chunk of requestChunks(messages)) {
            await wrap('VIGIL_KAFKA_PRODUCE', `produce ${chunk.length} message(s) to ${topic}`, () =>
              producer.send({ topic, acks: -1, compression, messages: chunk.map((m) => ({ ...m })) }),
            );
          }
        },
        disconnect: () => producer.disconnect(),
      };
    },

    consumer(options: ConsumerOptions): Consumer {
      if (!options.groupId) throw new VigilError('VIGIL_ARGUMENT', 'a consumer needs a groupId');
      if (options.topics.length === 0) throw new VigilError('VIGIL_ARGUMENT', 'a consumer needs at least one topic');
      const sockets = trackedSocketFactory();
      const consumer = new Kafka({ ...connection, retry: CONSUMER_RETRY, socketFactory: sockets.factory }).consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 30000,
        rebalanceTimeout: 60000,
        heartbeatInterval: 3000,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
        maxWaitTimeInMs: options.maxWaitTimeMs ?? 5000,
        allowAutoTopicCreation: false,
        retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10000 },
      });
      let joinedResolve: () => void = () => undefined;
      const joinedPromise = new Promise<void>((resolve) => {
        joinedResolve = resolve;
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        revoking = false;
        options.onJoin?.();
        joinedResolve();
      });
      consumer.on(consumer.events.CRASH, (event) => {
        const error = event.payload.error;
        log.error({ err: error, groupId: options.groupId, restart: event.payload.restart }, 'consumer crashed');
        if (!event.payload.restart) options.onCrash?.(error);
      });
      const manual = options.commits === 'manual';
      let stopping = false;
      let inFlight = 0;
      /** Manual commits: the group is rebalancing and this member has not rejoined yet. */
      let revoking = false;
      const beforeRevoke = async (why: string) => {
        try {
          await options.beforeRevoke?.();
        } catch (err) {
          log.warn({ err, groupId: options.groupId, why }, 'could not commit before giving up the partitions; they restart from the last commit');
        }
      };
      return {
        async start() {
          await wrap('VIGIL_KAFKA_CONNECT', `connect consumer group ${options.groupId}`, () => consumer.connect());
          await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
          await consumer.run({
            autoCommit: !manual,
            autoCommitInterval: 1000,
            // Resolving moves the fetch position; with manual commits it commits nothing.
            eachBatchAutoResolve: true,
            partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
            eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
              // Stopping (manual): batches fetched now are left to the next owner, from the last commit.
              if (isStale() || stopping) return;
              inFlight++;
              try {
                await options.eachBatch(
                  {
                    topic: batch.topic,
                    partition: batch.partition,
                    highWatermark: batch.highWatermark,
                    messages: batch.messages.map((m) => toReceived(batch.topic, batch.partition, m)),
                  },
                  { heartbeat, isRunning: () => isRunning() && !isStale() },
                );
                if (manual) {
                  // A rebalance noticed here is met before rejoining: commit what is done (kafkajs, seeing the
                  // error, waits for the other batches in flight, each of which commits too, then rejoins).
                  let rebalancing: unknown;
                  try {
                    await heartbeat();
                  } catch (err) {
                    // Anything else is kafkajs's to handle at its own heartbeat: this batch succeeded.
                    if (isRebalance(err)) {
                      rebalancing = err;
                      revoking = true;
                    }
                  }
                  if (revoking) await beforeRevoke('rebalance');
                  if (rebalancing) throw rebalancing;
                }
              } catch (err) {
                if (revoking && isRebalance(err)) throw err;
                log.warn({ err, groupId: options.groupId, topic: batch.topic, partition: batch.partition, retriable: isRetriable(err) }, 'batch failed; it will be fetched again');
                throw err;
              } finally {
                inFlight--;
              }
            },
          });
        },
        async stop() {
          if (manual && !stopping) {
            stopping = true;
            for (const deadline = Date.now() + 30_000; inFlight > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
            await beforeRevoke('stop');
          }
          await consumer.disconnect();
          const leaked = await sockets.closeAll();
          if (leaked > 0) log.info({ groupId: options.groupId, connections: leaked }, 'closed connections the stopped consumer left open');
        },
        joined: () => joinedPromise,
        async commit(offsets: readonly CommitOffset[]) {
          if (offsets.length > 0) await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
        },
      };
    },

    async admin(): Promise<Admin> {
      const admin = kafka.admin();
      await wrap('VIGIL_KAFKA_CONNECT', 'connect the admin client', () => admin.connect());
      return {
        async ensureTopics(topics: readonly TopicSpec[]) {
          const existing = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existing.has(t.topic));
          if (missing.length === 0) return;
          // A broker that has just started can answer with a retriable error (its metadata is not
          // ready: "does not host this topic-partition") even when the topics were created: retry
          // for those that are still missing, then wait for leaders below.
          const createBy = Date.now() + 15_000;
          for (let todo = missing; ; ) {
            try {
              await admin.createTopics({
                waitForLeaders: true,
                topics: todo.map((t) => ({
                  topic: t.topic,
                  numPartitions: t.partitions ?? 3,
                  replicationFactor: t.replicationFactor ?? -1,
                  configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
                })),
              });
              break;
            } catch (err) {
              const retriable = (err as { retriable?: boolean }).retriable ?? true;
              if (!retriable || Date.now() > createBy) {
                throw new KafkaError('VIGIL_KAFKA_ADMIN', `could not create topics ${todo.map((t) => t.topic).join(', ')}: ${(err as Error).message}`, { cause: err, retriable });
              }
              const present = new Set(await admin.listTopics().catch(() => [] as string[]));
              todo = todo.filter((t) => !present.has(t.topic));
              if (todo.length === 0) break;
              await new Promise((r) => setTimeout(r, 250));
            }
          }
          // A new topic's partitions can take a moment to appear in every broker's metadata
          // cache (KRaft); producing before then fails with UNKNOWN_TOPIC_OR_PARTITION.
          const names = missing.map((t) => t.topic);
          const deadline = Date.now() + 15_000;
          for (;;) {
            try {
              const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
              if (meta.length === names.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
            } catch (err) {
              if (Date.now() > deadline) throw new KafkaError('VIGIL_KAFKA_ADMIN', `topics ${names.join(', ')} were created but never became available`, { cause: err, retriable: true });
            }
            if (Date.now() > deadline) throw new KafkaError('VIGIL_KAFKA_ADMIN', `topics ${names.join(', ')} were created but have no leaders after 15 s`, { retriable: true });
            await new Promise((r) => setTimeout(r, 100));
          }
        },
        async deleteTopics(topics: readonly string[]) {
          if (topics.length > 0) await admin.deleteTopics({ topics: [...topics] });
        },
        listTopics: () => admin.listTopics(),
        async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
          const [high, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
          const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
          return high
            .map((h) => {
              const c = byPartition.get(h.partition) ?? '-1';
              const lag = Number(h.high) - (Number(c) < 0 ? Number(h.low) : Number(c));
              return { partition: h.partition, committed: c, high: h.high, lag: Math.max(0, lag) };
            })
            .sort((a, b) => a.partition - b.partition);
        },
        async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
          const offsets = await wrap('VIGIL_KAFKA_ADMIN', `fetch the offsets of ${topic}`, () => admin.fetchTopicOffsets(topic));
          return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition);
        },
        disconnect: () => admin.disconnect(),
      };
    },

    async readRanges(topic, ranges, each, timeoutMs = 60_000) {
      const pending = new Map(ranges.filter((r) => BigInt(r.to) > BigInt(r.from)).map((r) => [r.partition, r]));
      if (pending.size === 0) return;
      const sockets = trackedSocketFactory();
      const consumer = new Kafka({ ...connection, retry: CONSUMER_RETRY, socketFactory: sockets.factory }).consumer({
        groupId: `vigil-read-${randomBytes(6).toString('hex')}`,
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: false,
      });
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      try {
        await wrap('VIGIL_KAFKA_CONNECT', `connect a reader of ${topic}`, () => consumer.connect());
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = pending.get(batch.partition);
            if (!range) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) < BigInt(range.from)) continue;
              if (BigInt(m.offset) >= BigInt(range.to)) break;
              each(toReceived(topic, batch.partition, m));
            }
            const last = batch.messages[batch.messages.length - 1];
            if (last && BigInt(last.offset) + 1n >= BigInt(range.to)) {
              pending.delete(batch.partition);
              if (pending.size === 0) done();
            }
          },
        });
        for (const r of pending.values()) consumer.seek({ topic, partition: r.partition, offset: r.from });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new KafkaError('VIGIL_KAFKA_CONNECT', `could not read ${topic} partitions ${[...pending.keys()].join(', ')} back within ${timeoutMs} ms`, { retriable: true })), timeoutMs);
        });
        try {
          await Promise.race([finished, timeout]);
        } finally {
          clearTimeout(timer);
        }
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await sockets.closeAll();
      }
    },
  };
}

/** The group is rebalancing (kafkajs' own test): the member must rejoin. */
function isRebalance(err: unknown): boolean {
  const type = (err as { type?: string } | undefined)?.type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

/** Shared by the messages without headers (most of them): no object each. */
const NO_HEADERS: Headers = Object.freeze({});

function toReceived(topic: string, partition: number, m: KafkaMessage): ReceivedMessage {
  let headers = NO_HEADERS;
  const raw = m.headers;
  if (raw) {
    for (const k in raw) {
      const v = raw[k];
      if (v === undefined) continue;
      if (headers === NO_HEADERS) headers = {};
      headers[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
    }
  }
  return { topic, partition, offset: m.offset, timestamp: Number(m.timestamp), key: m.key ?? null, value: m.value ?? null, headers };
}

async function wrap<T>(code: 'VIGIL_KAFKA_CONNECT' | 'VIGIL_KAFKA_PRODUCE' | 'VIGIL_KAFKA_ADMIN', action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const retriable = (err as { retriable?: boolean }).retriable ?? true;
    throw new KafkaError(code, `could not ${action}: ${(err as Error).message}`, { cause: err, retriable });
  }
}
