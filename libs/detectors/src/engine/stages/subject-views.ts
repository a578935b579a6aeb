import { SW } from '../../subject-state.js';
import type { SubjectRouteWindow, SubjectWindow } from '../../types.js';
import { FIVE_MINUTES, HOUR } from '../../units.js';
import type { CountedBatch, SubjectBatch, SubjectRouteBatch } from '../batch.js';

/**
 * The subjects' part of the views stage, taken right after counting, before
 * the state write: their windows as this batch left them (subject state lives
 * in this process; the write may let another batch in meanwhile).
 */
export function subjectViews(counted: CountedBatch, now: number, enumerationWindowMs: number): { subjects: SubjectWindow[]; subjectRoutes: SubjectRouteWindow[] } {
  const subjects: SubjectWindow[] = [];
  for (const s of counted.subjects) subjects.push(subjectView(s, now));
  const subjectRoutes: SubjectRouteWindow[] = [];
  for (const sr of counted.subjectRoutes.values()) subjectRoutes.push(subjectRouteView(sr, enumerationWindowMs));
  return { subjects, subjectRoutes };
}

/** A subject's 5-minute window as the detectors see it, after this batch. */
function subjectView(s: SubjectBatch, now: number): SubjectWindow {
  const w = s.counts;
  const windowStart = s.fiveMinutes * FIVE_MINUTES;
  const base = baselineOf(s, now);
  const gaps = w[SW.gaps]!;
  const meanGap = gaps > 0 ? w[SW.gapSumMs]! / gaps : 0;
  const variance = gaps > 1 ? Math.max(0, (w[SW.gapSquareSum]! * 100) / gaps - meanGap * meanGap) : undefined;
  return {
    api: s.api,
    subject: s.subject,
    minuteCounts: w.slice(SW.minute0, SW.minute0 + 5),
    baselinePerMinute: base?.perMinute,
    windowStart,
    windowEnd: windowStart + FIVE_MINUTES,
    n: w[SW.calls]!,
    e4: w[SW.clientErrors]!,
    authFailures: w[SW.authFailures]!,
    gaps: { n: gaps, meanMs: meanGap, cv: variance !== undefined && meanGap > 0 ? Math.sqrt(variance) / meanGap : undefined },
    automationAgentN: w[SW.automationCalls]!,
    distinctRoutes: s.routes.members.size,
    loginPrincipals: s.loginPrincipals?.members.size ?? 0,
    bytesSum: w[SW.bytes]!,
    baselineBytesPer5m: base?.bytesPer5m,
    userAgents: s.userAgents,
    sampleEventIds: s.eventIds,
    samplePaths: s.paths,
  };
}

/**
 * A subject's usual rate: the previous clock hour plus this hour before the window, per minute (a subject that
 * started 50 minutes ago at a steady rate is judged against that rate, not as new). Undefined when unseen then.
 */
function baselineOf(s: SubjectBatch, now: number): { perMinute: number; bytesPer5m: number } | undefined {
  const state = s.state;
  const hour = Math.floor((s.fiveMinutes * FIVE_MINUTES) / HOUR);
  if (!state.baseline || state.baseline.hour !== hour) {
    const previous = state.hours.get(hour - 1);
    state.baseline = previous && previous.expiresAt > now ? { hour, n: previous.n, bytes: previous.bs } : { hour, n: 0, bytes: 0 };
  }
  const prev = state.baseline;
  const w = s.counts;
  const current = s.hourCounts;
  const minutesBefore = 60 + Math.max(0, s.fiveMinutes * 5 - hour * 60);
  const before = Math.max(0, prev.n + current.n - w[SW.calls]!);
  const bytesBefore = Math.max(0, prev.bytes + current.bs - w[SW.bytes]!);
  return before > 0 ? { perMinute: before / minutesBefore, bytesPer5m: (bytesBefore / minutesBefore) * 5 } : undefined;
}

/** A subject's calls on one route template in one enumeration window, after this batch. */
function subjectRouteView(sr: SubjectRouteBatch, windowMs: number): SubjectRouteWindow {
  return {
    api: sr.api,
    subject: sr.subject,
    route: sr.route,
    direction: sr.direction,
    windowStart: sr.enumerationWindow * windowMs,
    windowEnd: (sr.enumerationWindow + 1) * windowMs,
    distinctIds: sr.objects.ids.size,
    n: sr.objects.n,
    ok: sr.objects.ok,
    denied: sr.objects.denied,
    batchIds: sr.ids,
    sampleEventIds: sr.eventIds,
  };
}
