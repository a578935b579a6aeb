import { z } from 'zod';
import { round } from '../../stats.js';
import { defineDetector, type DetectContext, type FindingDraft, type RouteWindow } from '../../types.js';
import { alignedWindow, clip, confidenceFrom, formatMinutes, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.rate_limit_exhaustion` config section. */
export const rateLimitExhaustionConfig = z
  .object({
    /** Remaining quota at or below this share of the limit. */
    maxRemainingShare: ratio.max(1).default(0.05),
    min429: positiveInt.default(3),
    /** Findings are grouped per provider route in aligned windows of this length (one finding per window). */
    windowMs: z.number().int().min(60_000).default(900_000),
    severity: severityOverride,
  })
  .strict()
  .default({});

/**
 * rate_limit_exhaustion: an outbound provider's remaining quota (its
 * rate-limit headers) at or near zero, or 429 answers appearing, in the recent
 * window of one provider route. No baseline: a quota running out is news from
 * the first call. Only a batch that carries such a call may raise a finding;
 * one finding per provider route and aligned window (config windowMs, 15 min
 * by default, the window of the latest such call) while it lasts.
 *
 * No OWASP category: this is an operational risk to our own integrations
 * (calls about to fail), not an attack on or a weakness of an API.
 */
export const rateLimitExhaustion = defineDetector({
  name: 'rate_limit_exhaustion',
  configSchema: rateLimitExhaustionConfig,
  detect(ctx, cfg) {
    const lowMark = cfg.maxRemainingShare * 10_000;
    const offending = offendingCalls(ctx, lowMark);
    if (offending.size === 0) return [];
    const out: FindingDraft[] = [];
    for (const r of ctx.routes) {
      if (r.direction !== 'outbound') continue;
      const seen = offending.get(`${r.api}\u0000${r.route}`);
      if (!seen) continue;
      const remaining = r.current.minRateLimitPermyriad;
      const low = remaining !== undefined && remaining <= lowMark;
      const throttled = r.current.e429 >= cfg.min429;
      if (low || throttled) out.push(draft(r, seen, { low, throttled, lowMark }, cfg));
    }
    return out;
  },
});

type RateLimitConfig = z.output<typeof rateLimitExhaustionConfig>;

interface Offending {
  lastAt: number;
  eventIds: string[];
}

/**
 * The calls of this batch that show exhaustion (a 429, or a remaining quota at or under the mark), per provider
 * route: the window of a finding is that of the latest one, so a route whose quota has recovered raises nothing
 * new even while its 5-minute window still remembers the low point.
 */
function offendingCalls(ctx: DetectContext, lowMark: number): Map<string, Offending> {
  const offending = new Map<string, Offending>();
  for (const e of ctx.events) {
    if (e.direction !== 'outbound') continue;
    const limit = e.rateLimitLimit;
    const low = limit !== undefined && limit > 0 && e.rateLimitRemaining !== undefined && Math.floor((Math.min(e.rateLimitRemaining, limit) / limit) * 10_000) <= lowMark;
    if (e.status !== 429 && !low) continue;
    const key = `${e.api}\u0000${e.route}`;
    const o = offending.get(key);
    if (!o) offending.set(key, { lastAt: e.timestamp, eventIds: [e.id] });
    else {
      o.lastAt = Math.max(o.lastAt, e.timestamp);
      if (o.eventIds.length < 20) o.eventIds.push(e.id);
    }
  }
  return offending;
}

function draft(r: RouteWindow, seen: Offending, v: { low: boolean; throttled: boolean; lowMark: number }, cfg: RateLimitConfig): FindingDraft {
  const c = r.current;
  const { low, throttled, lowMark } = v;
  const remaining = c.minRateLimitPermyriad;
  const { windowStart, windowEnd } = alignedWindow(seen.lastAt, cfg.windowMs);
  const share = remaining === undefined ? undefined : remaining / 10_000;
  const pct = share === undefined ? undefined : `${round(share * 100, 1)}%`;
  const span = formatMinutes(r.windowEnd - r.windowStart);
  const rateLimitedShare = c.n > 0 ? round(c.e429 / c.n, 4) : 0;
  const confidence = Math.max(
    throttled ? Math.min(0.99, confidenceFrom(c.e429, cfg.min429, cfg.min429 * 10) + 0.2) : 0,
    low ? confidenceFrom(lowMark - remaining!, 0, Math.max(1, lowMark)) : 0,
  );
  const title = throttled
    ? `${r.api} answered 429 to ${c.e429} of ${c.n} calls on ${r.route} in ${span}${pct !== undefined ? `, quota ${pct} left` : ''}`
    : `${r.api} quota nearly exhausted on ${r.route}: ${pct} left in ${span}`;
  const what = [
    pct !== undefined ? `the lowest remaining quota its rate-limit headers reported was ${pct} of the limit (threshold ${round(cfg.maxRemainingShare * 100, 1)}%)` : undefined,
    c.e429 > 0 ? `${c.e429} of ${c.n} calls (${round(rateLimitedShare * 100, 1)}%) were refused with 429 Too Many Requests` : undefined,
  ].filter((x): x is string => x !== undefined);
  const description =
    `Over the last ${span} of calls to provider ${r.api} on ${r.route.slice(0, 300)}, ${what.join(', and ')}. ` +
    (throttled ? 'The provider is already refusing calls: features that depend on it fail or slow down while clients retry. ' : 'Calls will start failing with 429 once the quota is spent. ') +
    'Check for a retry storm, a runaway job or a new caller, whether the quota can be raised, and that callers back off and cache.';
  const evidence: Record<string, number | string> = {
    requests: c.n,
    rateLimited429: c.e429,
    rateLimitedShare,
    windowMinutes: round((r.windowEnd - r.windowStart) / 60_000, 2),
    maxRemainingShare: cfg.maxRemainingShare,
    min429: cfg.min429,
  };
  if (share !== undefined) {
    evidence.minRemainingShare = round(share, 4);
    evidence.rateLimitHeaderEvents = c.rateLimitN;
  }
  return {
    detector: 'rate_limit_exhaustion',
    severity: severityOr(cfg.severity, throttled ? 'high' : 'medium'),
    confidence: round(confidence, 3),
    api: r.api,
    route: r.route,
    subject: { kind: 'api', value: r.api },
    windowStart,
    windowEnd,
    title: clip(title, 200),
    description: clip(description, 4000),
    evidence,
    eventIds: sample([...seen.eventIds, ...r.sampleEventIds.filter((id) => !seen.eventIds.includes(id))], 20),
  };
}
