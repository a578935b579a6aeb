import { createLogger, createMetricsRegistry } from '@vigil/telemetry';
import { buildApi, type ApiDeps } from './api.js';
import { createNotifierMetrics } from './metrics.js';

/**
 * For unit tests of the API: `buildApi` over stubs for every dependency a test does not name (a stub that is
 * reached fails the request), with a silent logger and its own metrics registry unless given.
 */
export function stubbedApi(name: string, deps: Partial<ApiDeps> & Pick<ApiDeps, 'token'>): ReturnType<typeof buildApi> {
  return buildApi({
    maxBodyBytes: 4096,
    escalator: {} as never,
    store: {} as never,
    suppressions: {} as never,
    silences: {} as never,
    confirmations: {} as never,
    clock: Date.now,
    logger: createLogger({ service: name, level: 'silent' }),
    metrics: createNotifierMetrics(createMetricsRegistry(name, { defaultMetrics: false })),
    ...deps,
  });
}
