import { createSchemaRegistry } from '@vigil/contracts';
import { createKafkaClient } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, redisAnswers } from '@vigil/redis';
import { RedisStateStore } from '@vigil/state';
import { buildHealthServer, createLogger, createMetricsRegistry } from '@vigil/telemetry';
import { buildDetector } from './app.js';
import { loadDetectorConfig } from './config.js';

/** Runs the detector service until SIGINT / SIGTERM. The only place that reads process.env. */
export async function runDetectorMain(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadDetectorConfig(env);
  const logger = createLogger({ service: 'detector', level: config.log.level });
  const registry = createMetricsRegistry('detector');
  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, ssl: config.kafka.ssl, sasl: config.kafka.sasl }, logger);
  const redis = createRedis({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectionName: 'vigil-detector' });
  redis.on('error', (err: Error) => logger.warn({ err }, 'redis connection error'));
  await connectRedis(redis);

  if (config.topics.create) {
    const admin = await kafka.admin();
    await admin.ensureTopics([
      { topic: config.topics.transactions, partitions: config.topics.partitions },
      { topic: config.topics.dlq, partitions: config.topics.partitions },
      { topic: config.topics.findings, partitions: config.topics.partitions },
    ]);
    await admin.disconnect();
  }

  const service = buildDetector({
    kafka,
    registry: createSchemaRegistry({ url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password }),
    store: new RedisStateStore({ redis, prefix: config.redis.keyPrefix }),
    redis,
    redisPrefix: config.redis.keyPrefix,
    logger,
    metrics: registry,
    topics: config.topics,
    groupId: config.consumer.groupId,
    fromBeginning: config.consumer.start === 'earliest',
    detectors: config.detectors,
    maxMessageBytes: config.consumer.maxMessageBytes,
    maxBytesPerPartition: config.consumer.maxBytesPerPartition,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
  });

  let joined = false;
  const health = buildHealthServer({
    registry,
    logger,
    live: service.live,
    readiness: [
      { name: 'redis', check: () => redisAnswers(redis) },
      { name: 'kafka', check: async () => joined },
    ],
  });
  const address = await health.listen(config.http.port, config.http.host);
  logger.info({ port: address.port, host: address.address }, 'serving /metrics, /healthz, /readyz');

  await service.start();
  void service.joined().then(() => {
    joined = true;
  });

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await service.stop();
  await health.close();
  await closeRedis(redis);
}
