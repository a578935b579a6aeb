import type { Logger } from 'pino';
import { buildHealthServer, type HealthServer, type HealthServerOptions } from './health.js';

/** Builds the /metrics, /healthz, /readyz server, listens, and says where. */
export async function serveHealth(options: HealthServerOptions & { logger: Logger; port: number; host: string }): Promise<HealthServer> {
  const health = buildHealthServer(options);
  const address = await health.listen(options.port, options.host);
  options.logger.info({ port: address.port, host: address.address }, 'serving /metrics, /healthz, /readyz');
  return health;
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
