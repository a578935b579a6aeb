import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A metrics registry for one process. Never the prom-client global: each
 * service builds its own and passes it to the components that record.
 */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'vigil_' }); // vigil_process_…, vigil_nodejs_…
    dropMisnamedGauges(registry);
  }
  return registry;
}

/**
 * Prometheus reserves `_total` for counters, and `promtool check metrics`
 * fails on a gauge that carries it. prom-client's `nodejs_active_handles_total`,
 * `…_requests_total` and `…_resources_total` are gauges that only sum their
 * siblings by `type` (`vigil_nodejs_active_handles` and so on), so they go.
 */
function dropMisnamedGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    if (name.endsWith('_total') && type !== 'counter') registry.removeSingleMetric(name);
  }
}
