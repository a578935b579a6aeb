import { z } from 'zod';
import { histogramQuantile, latencyBinValue, round } from '../../stats.js';
import { MINUTE } from '../../units.js';
import { defineDetector, type FindingDraft, type RouteWindow } from '../../types.js';
import { clip, confidenceFrom, positiveInt, ratio, retired, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.latency_degradation` config section. */
export const latencyDegradationConfig = z
  .object({
    quantile: z.number().gt(0).lt(1).default(0.95),
    minRatio: ratio.default(2),
    minRequests: positiveInt.default(30),
    /** The window's quantile must also exceed the baseline's by this many ms. */
    minIncreaseMs: z.number().min(0).default(50),
    /**
     * At least this many calls of the window must be as slow as its quantile: on a quiet route the p95 of
     * 30–40 calls is its second or third slowest call, and two chance outliers alone would move it.
     */
    minSlowRequests: positiveInt.default(5),
    /** A ratio to the baseline quantile at or above this is high severity. */
    highRatio: ratio.default(4),
    findingWindowMinutes: retired('a degradation is one finding per episode, extended while it lasts'),
    severity: severityOverride,
  })
  .strict()
  .default({});


/**
 * The baseline's quantile: the median of its hours' quantiles once there are a few (a slow creep over the last
 * hours moves a quantile of the pooled hours along with it; the median hour stays where the route used to be),
 * else the quantile of the pooled hours.
 */
export function baselineQuantile(b: RouteWindow['baseline'], q: number): number | undefined {
  const hours = b.hourLatencyQuantiles;
  if (hours.length >= 3) {
    const sorted = [...hours].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  return histogramQuantile(b.latencyBins, q, latencyBinValue);
}

/** 0.95 → "P95", 0.5 → "P50", 0.999 → "P99_9": the quantile's name in evidence keys. */
function quantileName(q: number): string {
  return `P${String(round(q * 100, 1)).replace('.', '_')}`;
}

const ms = (x: number) => (x >= 100 ? `${Math.round(x)} ms` : `${round(x, 1)} ms`);

/**
 * A route's latency quantile (p95 by default) in the recent window against the
 * same quantile over the previous hours (never the current one; the median of
 * the hours' quantiles, so a slow creep is measured against the earlier
 * normal, not against its own last hours). Fires when the ratio and the
 * increase in ms both pass their thresholds with enough calls in the window,
 * and enough of them as slow as the quantile (not two chance outliers).
 * One finding per episode (extended while it lasts, revised as it worsens).
 * Outbound providers are the typical case.
 */
export const latencyDegradation = defineDetector({
  name: 'latency_degradation',
  configSchema: latencyDegradationConfig,
  detect(ctx, cfg) {
    const q = cfg.quantile;
    const qn = quantileName(q);
    const out: FindingDraft[] = [];
    for (const r of ctx.routes) {
      const b = r.baseline;
      if (!b || b.hours < ctx.config.warmupHours || b.n < cfg.minRequests) continue;
      const n = r.current.n;
      if (n < cfg.minRequests) continue;
      const observed = histogramQuantile(r.current.latencyBins, q, latencyBinValue);
      const baseline = baselineQuantile(b, q);
      if (observed === undefined || baseline === undefined || baseline <= 0) continue;
      const ratio = observed / baseline;
      const increase = observed - baseline;
      if (ratio < cfg.minRatio || increase < cfg.minIncreaseMs) continue;
      // The calls in the quantile's bin and above: a shift of the route's latency, not a couple of outliers.
      let slowCalls = 0;
      for (let i = 0; i < r.current.latencyBins.length; i++) if (latencyBinValue(i) >= observed) slowCalls += r.current.latencyBins[i]!;
      if (slowCalls < cfg.minSlowRequests) continue;

      const outbound = r.direction === 'outbound';
      const where = outbound ? `Provider ${r.api} ${r.route}` : `${r.api} ${r.route}`;
      const minutes = Math.round((r.windowEnd - r.windowStart) / MINUTE);
      const meanMs = r.current.latencySumMs / n;
      const baselineMeanMs = b.n > 0 ? b.latencySumMs / b.n : 0;
      // The slowest calls of the batch on this route, as examples.
      const slow = ctx.events
        .filter((e) => e.api === r.api && e.direction === r.direction && e.route === r.route && e.latencyMs >= baseline * cfg.minRatio)
        .sort((x, y) => y.latencyMs - x.latencyMs)
        .map((e) => e.id);
      out.push({
        detector: 'latency_degradation',
        severity: severityOr(cfg.severity, ratio >= cfg.highRatio ? 'high' : 'medium'),
        confidence: confidenceFrom(ratio, cfg.minRatio, 2 * cfg.highRatio),
        api: r.api,
        route: r.route,
        subject: { kind: 'route', value: r.route },
        windowStart: r.windowStart,
        windowEnd: r.windowEnd,
        title: clip(`${where}: ${qn.toLowerCase()} latency ${ms(observed)} over ${minutes} min, ${round(ratio, 1)}x the usual ${ms(baseline)}`),
        description: clip(
          `The ${qn.toLowerCase()} latency of ${n} ${outbound ? 'calls to the provider' : 'requests'} on ${r.route} (${r.api}) in the last ${minutes} minutes is ${ms(observed)} (${slowCalls} of them at about ${ms(observed)} or slower), ` +
            `${round(ratio, 1)} times the ${ms(baseline)} of the previous ${b.hours} hour(s) (mean ${ms(meanMs)} against ${ms(baselineMeanMs)}). ` +
            (outbound
              ? 'Check the provider status page, our connection pool and timeouts towards it, and whether slow calls hold up our own requests.'
              : 'Check recent deployments, saturation (CPU, connection pools, queues) and the dependencies behind this route.'),
          4000,
        ),
        evidence: {
          [`observed${qn}Ms`]: round(observed, 1),
          [`baseline${qn}Ms`]: round(baseline, 1),
          ratio: round(ratio, 3),
          increaseMs: round(increase, 1),
          meanMs: round(meanMs, 1),
          baselineMeanMs: round(baselineMeanMs, 1),
          requests: n,
          slowRequests: slowCalls,
          baselineRequests: b.n,
          baselineHours: b.hours,
          quantile: q,
          direction: r.direction,
          windowMinutes: minutes,
        },
        eventIds: slow.length > 0 ? sample(slow) : sample(r.sampleEventIds),
        episode: { from: r.windowStart, to: r.windowEnd },
        magnitude: ratio,
      });
    }
    return out;
  },
});

