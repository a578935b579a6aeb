import { createSchemaRegistry } from '@vigil/contracts';
import { createKafkaClient, createMissingTopics } from '@vigil/kafka';
import { closeRedis, openRedis, redisAnswers } from '@vigil/redis';
import { createLogger, createMetricsRegistry, serveConsumerHealth, shutdownSignal } from '@vigil/telemetry';
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
  const redis = await openRedis({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectionName: 'vigil-notifier' }, (err) => logger.warn({ err }, 'redis connection error'));

  await createMissingTopics(kafka, config.topics, [config.topics.findings, config.topics.incidents]);

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
    api: { token: config.api.token, readToken: config.api.readToken, maxBodyBytes: config.api.maxBodyBytes, lockout: config.api.lockout },
    delivery: config.delivery,
    tickMs: config.tickMs,
  });

  let joined = false;
  const health = await serveConsumerHealth({ registry, logger, http: config.http, live: service.live, storeAnswers: () => redisAnswers(redis), joined: () => joined });
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
