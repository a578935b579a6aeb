import { z } from 'zod';
import { round } from '../../stats.js';
import { MINUTE } from '../../units.js';
import { defineDetector, type FindingDraft } from '../../types.js';
import { alignedWindow, clip, confidenceFrom, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.error_rate` config section. */
export const errorRateConfig = z
  .object({
    minRequests: positiveInt.default(30),
    /** 5xx share must exceed baseline share + this. */
    minShareIncrease: ratio.max(1).default(0.15),
    minZ: ratio.default(5),
    include4xx: z.boolean().default(false),
    /** Floor of the baseline share in the binomial z-score (a 0% baseline would make any error infinitely surprising). */
    minBaselineShare: ratio.max(1).default(0.01),
    /** An error share at or above this is high severity. */
    highShare: ratio.max(1).default(0.5),
    /** Findings are aligned to spans of this many minutes: one finding per route and span while the surge lasts. */
    findingWindowMinutes: positiveInt.max(1440).default(15),
    severity: severityOverride,
  })
  .strict()
  .default({});


const percent = (share: number): string => (share >= 0.1 || share === 0 ? `${Math.round(share * 100)}%` : `${round(share * 100, 1)}%`);

/**
 * The share of failed calls (5xx, plus 4xx when include4xx) on a route in the
 * recent window against the route's share over the previous hours. Fires when
 * the share rose by at least minShareIncrease and the rise is significant for
 * the number of calls (binomial z with the baseline share floored, so a route
 * that never failed is not alarmed by a couple of errors). One finding per
 * route and aligned span (15 min by default) while the surge lasts.
 */
export const errorRate = defineDetector({
  name: 'error_rate',
  configSchema: errorRateConfig,
  detect(ctx, cfg) {
    const span = cfg.findingWindowMinutes * MINUTE;
    const isError = (status: number) => status >= 500 || (cfg.include4xx && status >= 400);
    const out: FindingDraft[] = [];
    for (const r of ctx.routes) {
      const b = r.baseline;
      if (!b || b.hours < ctx.config.warmupHours || b.n === 0) continue;
      const n = r.current.n;
      if (n < cfg.minRequests) continue;
      const errors = r.current.e5 + (cfg.include4xx ? r.current.e4 : 0);
      const baselineErrors = b.e5 + (cfg.include4xx ? b.e4 : 0);
      const share = errors / n;
      const baselineShare = baselineErrors / b.n;
      if (share - baselineShare < cfg.minShareIncrease) continue;
      const p = Math.min(0.999, Math.max(baselineShare, cfg.minBaselineShare));
      const z = (share - p) / Math.sqrt((p * (1 - p)) / n);
      if (z < cfg.minZ) continue;

      const kind = cfg.include4xx ? '4xx/5xx' : '5xx';
      const where = r.direction === 'outbound' ? `calls to provider ${r.api} ${r.route}` : `calls to ${r.api} ${r.route}`;
      const minutes = Math.round((r.windowEnd - r.windowStart) / MINUTE);
      const failing = ctx.events.filter((e) => e.api === r.api && e.direction === r.direction && e.route === r.route && isError(e.status)).map((e) => e.id);
      out.push({
        detector: 'error_rate',
        severity: severityOr(cfg.severity, share >= cfg.highShare ? 'high' : 'medium'),
        confidence: confidenceFrom(z, cfg.minZ, 4 * cfg.minZ),
        api: r.api,
        route: r.route,
        subject: { kind: 'route', value: r.route },
        ...alignedWindow(r.windowEnd - 1, span),
        title: clip(`${percent(share)} of ${where} failed with ${kind} in ${minutes} min (baseline ${percent(baselineShare)})`),
        description: clip(
          `${errors} of ${n} ${where} in the last ${minutes} minutes answered ${kind} (${percent(share)}), against ${percent(baselineShare)} over the previous ${b.hours} hour(s) ` +
            `(${b.n} calls; binomial z ${round(z, 1)}). ` +
            (r.direction === 'outbound'
              ? 'Check the provider status page and our retries and timeouts towards it; failing calls may be retried into its rate limit.'
              : 'Check recent deployments, the health of dependencies behind this route (database, downstream services) and the logs of the failing requests.'),
          4000,
        ),
        evidence: {
          errorShare: round(share, 4),
          baselineShare: round(baselineShare, 4),
          requests: n,
          errors,
          errors5xx: r.current.e5,
          errors4xx: r.current.e4,
          baselineRequests: b.n,
          baselineHours: b.hours,
          z: round(z, 2),
          statusClass: kind,
          direction: r.direction,
          windowMinutes: minutes,
        },
        eventIds: failing.length > 0 ? sample(failing) : sample(r.sampleEventIds),
      });
    }
    return out;
  },
});

