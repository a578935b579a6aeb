import { z } from 'zod';
import type { Severity } from '@vigil/contracts';
import { isDigits } from '../../route-template.js';
import { clamp, round } from '../../stats.js';
import { defineDetector, type DetectContext, type FindingDraft, type SubjectRouteWindow } from '../../types.js';
import { iso } from '../../units.js';
import { OWASP, clip, formatMinutes, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.bola_enumeration` config section. */
export const bolaEnumerationConfig = z
  .object({
    windowMs: z.number().int().min(10_000).default(120_000),
    minDistinctIds: positiveInt.default(30),
    /** Successful reads of distinct ids that make it a confirmed breach (critical). */
    confirmedOkReads: positiveInt.default(20),
    /** Denied share (401/403/404) at or above which a small enumeration (under 2x minDistinctIds) is only medium. */
    probeDeniedShare: ratio.max(1).default(0.8),
    /** Slow enumeration, over 30 minutes: at least this many distinct ids… */
    slowMinDistinctIds: positiveInt.default(30),
    /** …this many times what the subject itself addresses in half an hour (its own usual, learned slowly)… */
    slowOwnFactor: ratio.min(1).default(4),
    /** …and this many times what the route's busiest subjects address in an hour (their 99.9th percentile), within half an hour, once enough are known. */
    slowPeerFactor: ratio.min(1).default(2),
    severity: severityOverride,
  })
  .strict()
  .default({});

type BolaConfig = z.output<typeof bolaEnumerationConfig>;

/** How a window's ids were addressed: the share of sequential steps among its numeric ids, and a sample. */
export interface IdPattern {
  /** Share of consecutive numeric ids (in this batch) that differ by 1 or 2; undefined under three numeric ids. */
  sequentialShare: number | undefined;
  sampleIds: string[];
}

/** The id pattern of every window that is an enumeration (the others are not looked at). */
export function idPatterns(ctx: DetectContext, cfg: BolaConfig): Map<SubjectRouteWindow, IdPattern> {
  const patterns = new Map<SubjectRouteWindow, IdPattern>();
  for (const w of ctx.subjectRoutes) if (w.direction === 'inbound' && enumerates(w, cfg)) patterns.set(w, idPattern(w.ids));
  return patterns;
}

/** Fast: minDistinctIds in the enumeration window. Slow: more than the floor, than the subject's own usual and than its peers', in 30 minutes. */
export function enumerates(w: SubjectRouteWindow, cfg: BolaConfig): boolean {
  if (w.horizon === 'fast') return w.distinctIds >= cfg.minDistinctIds;
  const halfHour = (w.windowEnd - w.windowStart) / 3_600_000;
  if (w.distinctIds < cfg.slowMinDistinctIds) return false;
  // Slow is "more than it and its peers ever do": with neither the route's peers known nor two hours of its own, nothing to judge against.
  if (!w.peers && w.ownHours.length < 2) return false;
  if (w.distinctIds < cfg.slowOwnFactor * learnedHourly(w.ownHours) * halfHour) return false;
  // Against a whole hour of the busiest peer: an ordinary session of a few minutes reads in half an hour what it reads in the hour.
  return !w.peers || w.distinctIds >= cfg.slowPeerFactor * w.peers.top;
}

/** How far a subject's learned hourly level may grow per active hour: at most twice a day. */
const GROWTH_PER_HOUR = 2 ** (1 / 24);

/**
 * The distinct ids an hour the subject has learned to be usual for it on the route: its first active hour, then
 * each later one, grown at most twice a day (a subject that reads more and more cannot make a large count usual
 * within a day); 0 without history.
 */
export function learnedHourly(ownHours: readonly number[]): number {
  let level = ownHours[0] ?? 0;
  for (const n of ownHours.slice(1)) level = Math.max(level, Math.min(n, level * GROWTH_PER_HOUR));
  return level;
}

/** One pass over the ids, nothing built but the sample. */
export function idPattern(ids: readonly string[]): IdPattern {
  const sampleIds: string[] = [];
  let numeric = 0;
  let sequentialSteps = 0;
  let previous = 0;
  for (const id of ids) {
    if (sampleIds.length < 10 && !sampleIds.includes(id)) sampleIds.push(id);
    if (id.length > 15 || !isDigits(id)) continue;
    const value = Number(id);
    // Consecutive numeric ids at most 2 apart (and not the same) count as a sequential step.
    if (numeric > 0 && Math.abs(value - previous) <= 2 && value !== previous) sequentialSteps++;
    previous = value;
    numeric++;
  }
  return { sequentialShare: numeric > 2 ? sequentialSteps / (numeric - 1) : undefined, sampleIds };
}

/**
 * Object-id enumeration (BOLA, OWASP API1): one subject addresses many
 * distinct object ids on one route template, in windows that slide with its
 * calls: the enumeration window (fast: at least minDistinctIds wherever the
 * reads fall relative to the clock) and 30 minutes (slow: more than
 * slowMinDistinctIds, more than the subject itself usually reads, and more
 * than its peers on the route). One finding per episode, revised as it
 * grows; an enumeration the subject repeats (a job at :00) is usual from
 * its second time on (low), unless it changes route, size, addresses or
 * denials. Severity:
 *  - critical when at least confirmedOkReads distinct objects were certainly
 *    returned with 2xx (a confirmed breach);
 *  - medium when the ids are few (under 2x the threshold) and mostly denied
 *    (the object-level check held, or the ids do not exist: a failing probe);
 *  - high otherwise.
 * Confidence rises with the distinct ids, the sequential share and the denied share.
 */
export const bolaEnumeration = defineDetector({
  name: 'bola_enumeration',
  configSchema: bolaEnumerationConfig,
  view: idPatterns,
  detect(ctx, cfg, patterns) {
    const out: FindingDraft[] = [];
    for (const [w, pattern] of patterns) out.push(draft(w, pattern, cfg, ctx.now));
    return out;
  },
});

/**
 * Distinct objects certainly read: every request beyond the first per id may
 * have been a 2xx repeat, so at least ok - (n - distinctIds) distinct ids were
 * answered 2xx. A subject that re-reads its own few objects scores near zero.
 */
export function distinctOkReadsAtLeast(w: Pick<SubjectRouteWindow, 'n' | 'ok' | 'distinctIds'>): number {
  return Math.max(0, Math.min(w.distinctIds, w.ok - Math.max(0, w.n - w.distinctIds)));
}

/** The share of the window's distinct ids the subject had never read before: an enumeration reads new ones, a job its own again. */
export function newShare(w: Pick<SubjectRouteWindow, 'distinctIds' | 'familiarIds'>): number {
  return w.distinctIds > 0 ? Math.max(0, w.distinctIds - w.familiarIds) / w.distinctIds : 0;
}

function draft(w: SubjectRouteWindow, pattern: IdPattern, cfg: BolaConfig, now: number): FindingDraft {
  const threshold = w.horizon === 'fast' ? cfg.minDistinctIds : cfg.slowMinDistinctIds;
  const requests = Math.max(w.n, w.distinctIds);
  const deniedShare = requests > 0 ? w.denied / requests : 0;
  const okRead = distinctOkReadsAtLeast(w);
  const sequential = pattern.sequentialShare;

  const confirmed = okRead >= cfg.confirmedOkReads;
  const probe = !confirmed && w.distinctIds < 2 * threshold && deniedShare >= cfg.probeDeniedShare;
  const computed: Severity = confirmed ? 'critical' : probe ? 'medium' : 'high';

  const idsScore = clamp((w.distinctIds - threshold) / (3 * threshold), 0, 1);
  const score = clamp(0.4 * idsScore + 0.35 * (sequential ?? 0) + 0.25 * deniedShare + (confirmed ? 0.25 : 0), 0, 1);
  const confidence = round(0.5 + 0.49 * score);

  const who = clip(w.subject.value, 60);
  const span = formatMinutes(w.windowEnd - w.windowStart);
  const seqText = sequential === undefined ? '' : `, ${Math.round(sequential * 100)}% of consecutive numeric ids sequential`;
  const verdict = confirmed
    ? `At least ${okRead} distinct objects were returned with 2xx: treat it as a data exposure. Check whether these objects belong to ${who}, revoke its sessions or keys, and fix the object-level authorization check of this route.`
    : probe
      ? `Most calls were denied (401/403/404), so the object-level check appears to hold or the ids do not exist; this looks like a probe. Check who ${who} is and whether it continues in the next windows.`
      : `Check whether ${who} is entitled to these objects (an integration or admin account may be), and whether the route enforces object-level authorization.`;

  const evidence: Record<string, number | string> = {
    distinctIds: w.distinctIds,
    requests,
    okReads: w.ok,
    distinctOkReadsAtLeast: okRead,
    denied: w.denied,
    deniedShare: round(deniedShare),
    minDistinctIds: threshold,
    windowMs: w.windowEnd - w.windowStart,
    sampleIds: sample(pattern.sampleIds, 10).join(', ').slice(0, 1024),
  };
  if (sequential !== undefined) evidence.sequentialShare = round(sequential);
  if (w.familiarIds > 0) evidence.familiarIds = Math.min(w.familiarIds, w.distinctIds);

  return {
    detector: 'bola_enumeration',
    severity: severityOr(cfg.severity, computed),
    confidence,
    api: w.api,
    route: w.route,
    subject: w.subject,
    windowStart: w.windowStart,
    windowEnd: w.windowEnd,
    title: clip(`${who} requested ${w.distinctIds} distinct ids on ${clip(w.route, 80)} in ${span} (${w.ok} ok, ${w.denied} denied)`, 200),
    description:
      `${w.subject.kind} ${who} addressed ${w.distinctIds} distinct object ids on ${w.api} ${clip(w.route, 200)} in the window from ` +
      `${iso(w.windowStart)} to ${iso(w.windowEnd)} (counted up to ${iso(Math.min(now, w.windowEnd))}; ${requests} requests: ${w.ok} answered 2xx, ${w.denied} denied with 401/403/404${seqText}). ` +
      `One subject reading more than ${threshold} different objects in ${span}${w.horizon === 'slow' ? `, far more than it and the route's other subjects usually read (it learned ${Math.round(learnedHourly(w.ownHours))} an hour)` : ''} is enumeration, not ordinary use. ${verdict}`,
    evidence,
    owasp: OWASP.BOLA,
    eventIds: sample(w.sampleEventIds),
    episode: w.active,
    magnitude: w.distinctIds,
    usual: { ips: w.ips, deniedShare: round(deniedShare), newShare: round(newShare(w)) },
  };
}
