export { createLogger, redactPaths, type Logger, type LoggerConfig } from './logger.js';
export { createMetricsRegistry, Counter, Gauge, Histogram, Registry } from './metrics.js';
export { buildHealthServer, type HealthServer, type HealthServerOptions, type ReadinessCheck } from './health.js';
export { scrubSecrets } from './scrub.js';
export { serveConsumerHealth, serveHealth, shutdownSignal } from './lifecycle.js';
