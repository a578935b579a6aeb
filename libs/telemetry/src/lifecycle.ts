import type { Logger } from 'pino';
import { buildHealthServer, type HealthServer, type HealthServerOptions } from './health.js';

/** Builds the /metrics, /healthz, /readyz server, listens, and says where. */
export async function serveHealth(options: HealthServerOptions & { logger: Logger; port: number; host: string }): Promise<HealthServer> {
  const health = buildHealthServer(options);
  const address = await health.listen(options.port, options.host);
  options.logger.info({ port: address.port, host: address.address }, 'serving /metrics, /healthz, /readyz');
  return health;
}

/**
 * The health server of a service that consumes as a member of a consumer group: live while `live` says so,
 * ready while its store answers and once it has joined its group.
 */
export async function serveConsumerHealth(o: {
  registry: HealthServerOptions['registry'];
  logger: Logger;
  http: { port: number; host: string };
  live: () => boolean;
  storeAnswers: () => Promise<boolean>;
  joined: () => boolean;
}): Promise<HealthServer> {
  return serveHealth({
    registry: o.registry,
    logger: o.logger,
    port: o.http.port,
    host: o.http.host,
    live: o.live,
    readiness: [
      { name: 'redis', check: o.storeAnswers },
      { name: 'kafka', check: async () => o.joined() },
    ],
  });
}

/** Resolves on the first SIGTERM or SIGINT, after logging it; a service's main then stops what it started, in order. */
export function shutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      resolve(signal);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
