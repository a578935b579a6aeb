import { z } from 'zod';
import { histogramQuantile, latencyBinValue, round } from '../../stats.js';
import { MINUTE } from '../../units.js';
import { defineDetector, type FindingDraft } from '../../types.js';
import { alignedWindow, clip, confidenceFrom, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

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
    /** Findings are aligned to spans of this many minutes: one finding per route and span while the degradation lasts. */
    findingWindowMinutes: positiveInt.max(1440).default(30),
    severity: severityOverride,
  })
  .strict()
  .default({});


/** 0.95 → "P95", 0.5 → "P50", 0.999 → "P99_9": the quantile's name in evidence keys. */
function quantileName(q: number): string {
  return `P${String(round(q * 100, 1)).replace('.', '_')}`;
}

const ms = (x: number) => (x >= 100 ? `${Math.round(x)} ms` : `${round(x, 1)} ms`);

/**
 * A route's latency quantile (p95 by default) in the recent window against the
 * same quantile over the previous hours (never the current one, so a slow creep
 * is measured against the earlier normal). Fires when the ratio and the
 * increase in ms both pass their thresholds with enough calls in the window,
 * and enough of them as slow as the quantile (not two chance outliers).
 * One finding per route and aligned span (30 min by default) while it lasts.
 * Outbound providers are the typical case.
 */
export const latencyDegradation = defineDetector({
  name: 'latency_degradation',
  configSchema: latencyDegradationConfig,
  detect(ctx, cfg) {
    const span = cfg.findingWindowMinutes * MINUTE;
    const q = cfg.quantile;
    const qn = quantileName(q);
    const out: FindingDraft[] = [];
    for (const r of ctx.routes) {
      const b = r.baseline;
      if (!b || b.hours < ctx.config.warmupHours || b.n < cfg.minRequests) continue;
      const n = r.current.n;
      if (n < cfg.minRequests) continue;
      const observed = histogramQuantile(r.current.latencyBins, q, latencyBinValue);
      const baseline = histogramQuantile(b.latencyBins, q, latencyBinValue);
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
        ...alignedWindow(r.windowEnd - 1, span),
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
      });
    }
    return out;
  },
});

