import { createSchemaRegistry } from '@vigil/contracts';
import { createKafkaClient } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, redisAnswers } from '@vigil/redis';
import { createLogger, createMetricsRegistry, serveHealth, shutdownSignal } from '@vigil/telemetry';
import { buildNotifier } from './app.js';
import { loadNotifierConfig } from './config.js';
import { createEscalationSource } from './escalation-source.js';

/** Runs the notifier service until SIGINT / SIGTERM. The only place that reads process.env. */
export async function runNotifierMain(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadNotifierConfig(env);
  const logger = createLogger({ service: 'notifier', level: config.log.level });
  const registry = createMetricsRegistry('notifier');
  // A bad escalation file stops the start here, with every bad key named.
  const escalation = createEscalationSource({ file: config.escalation.file, env, checkMs: config.escalation.reloadCheckMs, logger });
  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, ssl: config.kafka.ssl, sasl: config.kafka.sasl }, logger);
  const redis = createRedis({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectionName: 'vigil-notifier' });
  redis.on('error', (err: Error) => logger.warn({ err }, 'redis connection error'));
  await connectRedis(redis);

  if (config.topics.create) {
    const admin = await kafka.admin();
    await admin.ensureTopics([
      { topic: config.topics.findings, partitions: config.topics.partitions },
      { topic: config.topics.incidents, partitions: config.topics.partitions },
    ]);
    await admin.disconnect();
  }

  const service = buildNotifier({
    kafka,
    registry: createSchemaRegistry({ url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password }),
    redis,
    redisPrefix: config.redis.keyPrefix,
    escalation,
    logger,
    metrics: registry,
    topics: config.topics,
    groupId: config.consumer.groupId,
    fromBeginning: config.consumer.start === 'earliest',
    api: { token: config.api.token, maxBodyBytes: config.api.maxBodyBytes, lockout: config.api.lockout },
    delivery: config.delivery,
    tickMs: config.tickMs,
  });

  let joined = false;
  const health = await serveHealth({
    registry,
    logger,
    port: config.http.port,
    host: config.http.host,
    live: service.live,
    readiness: [
      { name: 'redis', check: () => redisAnswers(redis) },
      { name: 'kafka', check: async () => joined },
    ],
  });
  const apiAddress = await service.listenApi(config.api.port, config.api.host);
  logger.info({ port: apiAddress.port, host: apiAddress.address }, 'serving the incidents API');

  await service.start();
  void service.joined().then(() => {
    joined = true;
  });

  await shutdownSignal(logger);
  await service.stop();
  await health.close();
  await closeRedis(redis);
}
