import { createSchemaRegistry } from '@vigil/contracts';
import { createKafkaClient, createMissingTopics } from '@vigil/kafka';
import { createConfirmationStore, createSuppressionStore, RecordWatcher } from '@vigil/records';
import { closeRedis, openRedis, redisAnswers } from '@vigil/redis';
import { RedisStateStore } from '@vigil/state';
import { createLogger, createMetricsRegistry, serveConsumerHealth, shutdownSignal } from '@vigil/telemetry';
import { buildDetector } from './app.js';
import { loadDetectorConfig } from './config.js';

/** Runs the detector service until SIGINT / SIGTERM. The only place that reads process.env. */
export async function runDetectorMain(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadDetectorConfig(env);
  const logger = createLogger({ service: 'detector', level: config.log.level });
  const registry = createMetricsRegistry('detector');
  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, ssl: config.kafka.ssl, sasl: config.kafka.sasl }, logger);
  const redis = await openRedis({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectionName: 'vigil-detector' }, (err) => logger.warn({ err }, 'redis connection error'));

  await createMissingTopics(kafka, config.topics, [config.topics.transactions, config.topics.dlq, config.topics.findings]);

  const suppressions = new RecordWatcher({
    store: createSuppressionStore(redis, config.redis.keyPrefix),
    refreshMs: config.suppressions.refreshMs,
    onError: (err) => logger.warn({ err }, 'could not refresh suppressions; using the last copy'),
    onChange: (count) => logger.info({ count }, 'suppressions loaded'),
  });
  const confirmations = new RecordWatcher({
    store: createConfirmationStore(redis, config.redis.keyPrefix),
    refreshMs: config.suppressions.refreshMs,
    onError: (err) => logger.warn({ err }, 'could not refresh confirmations; using the last copy'),
    onChange: (count) => logger.info({ count }, 'confirmations loaded'),
  });
  await Promise.all([suppressions.start(), confirmations.start()]);

  const service = buildDetector({
    kafka,
    registry: createSchemaRegistry({ url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password }),
    store: new RedisStateStore({ redis, prefix: config.redis.keyPrefix }),
    redis,
    redisPrefix: config.redis.keyPrefix,
    logger,
    metrics: registry,
    topics: config.topics,
    findingsEncoding: config.findings.encoding,
    groupId: config.consumer.groupId,
    fromBeginning: config.consumer.start === 'earliest',
    detectors: config.detectors,
    maxMessageBytes: config.consumer.maxMessageBytes,
    maxBytesPerPartition: config.consumer.maxBytesPerPartition,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    checkpointIntervalMs: config.consumer.checkpointIntervalMs,
    sliceMs: config.consumer.sliceMs,
    maxDeadLetterBytes: config.consumer.maxDeadLetterBytes,
    maxApiSeries: config.metrics.maxApis,
    suppressions,
    confirmations,
  });

  let joined = false;
  const health = await serveConsumerHealth({ registry, logger, http: config.http, live: service.live, storeAnswers: () => redisAnswers(redis), joined: () => joined });

  await service.start();
  void service.joined().then(() => {
    joined = true;
  });

  await shutdownSignal(logger);
  await service.stop();
  suppressions.stop();
  confirmations.stop();
  await health.close();
  await closeRedis(redis);
}
