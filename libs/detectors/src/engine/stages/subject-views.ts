import { SLOT, SLOT_MS, type SlotCounts } from '../../subject/slots.js';
import type { ObjectTrail } from '../../subject/trail.js';
import type { SubjectState } from '../../subject-state.js';
import type { SubjectHorizon, SubjectRouteWindow, SubjectWindow, TrailHorizon } from '../../types.js';
import { HOUR, MINUTE } from '../../units.js';
import type { Actor, RouteBatch } from '../batch.js';
import type { Hop } from '../hops.js';
import type { RoutePeers } from '../peers.js';
import type { ActorSample } from './actor-sample.js';

/**
 * The subjects' part of the views stage, built while counting (engine/hops.ts
 * says when): a subject's window and its window on one route, as its state
 * holds them at the window's end.
 */
export function subjectWindow(actor: Actor, horizon: SubjectHorizon, hop: Hop, end: number, final: boolean, now: number, sample: ActorSample): SubjectWindow {
  const state = actor.state!;
  const start = end - hop.windowMs;
  const w: SlotCounts = horizon === 'short' ? state.slots.sum(start, end) : state.blocks.sum(start, end);
  const series = horizon === 'short' ? state.slots : state.blocks;
  const base = usualRate(state, start, series.sum(start, Math.min(end, (Math.floor(start / HOUR) + 1) * HOUR)), now);
  const gaps = w[SLOT.gaps]!;
  const meanGap = gaps > 0 ? w[SLOT.gapSumMs]! / gaps : 0;
  const variance = gaps > 1 ? Math.max(0, (w[SLOT.gapSquareSum]! * 100) / gaps - meanGap * meanGap) : undefined;
  return {
    api: actor.identity.api,
    subject: actor.identity.subject,
    horizon,
    windowStart: start,
    windowEnd: end,
    final,
    active: horizon === 'short' ? state.slots.activeSpan(start, end) : hourActive(state, start, end),
    slotCalls: horizon === 'short' ? state.slots.series(SLOT.calls, start, end) : [],
    baselinePerMinute: base?.perMinute,
    n: w[SLOT.calls]!,
    e4: w[SLOT.clientErrors]!,
    authFailures: w[SLOT.authFailures]!,
    gaps: { n: gaps, meanMs: meanGap, cv: variance !== undefined && meanGap > 0 ? Math.sqrt(variance) / meanGap : undefined },
    automationAgentN: w[SLOT.automationCalls]!,
    distinctRoutes: state.routes.countIn(start, end),
    loginPrincipals: state.loginPrincipals.countIn(start, end),
    bytesSum: w[SLOT.bytes]!,
    largestBytes: w[SLOT.largestBytes] ?? 0,
    baselineBytesPer5m: base?.bytesPer5m,
    userAgents: sample.userAgents,
    sampleEventIds: sample.eventIds,
    samplePaths: sample.paths,
    ips: [...state.ips.keys()],
  };
}

/** An hour window's active span: from its first 5-minute block with calls to the 10-second slot of its latest call. */
function hourActive(state: SubjectState, start: number, end: number): { from: number; to: number } {
  const span = state.blocks.activeSpan(start, end);
  const last = state.lastSeen;
  return last !== undefined && last < end && last >= span.from ? { from: span.from, to: Math.min(span.to, (Math.floor(last / SLOT_MS) + 1) * SLOT_MS) } : span;
}

/**
 * A subject's usual rate before the window: the previous clock hour plus this hour before the window, per minute
 * (a subject that started 50 minutes ago at a steady rate is judged against that rate, not as new, nor diluted
 * over the hour before it started). `w` holds the
 * window's calls in the clock hour it starts in. Undefined when it was not seen then.
 */
function usualRate(state: SubjectState, windowStart: number, w: SlotCounts, now: number): { perMinute: number; bytesPer5m: number } | undefined {
  const hour = Math.floor(windowStart / HOUR);
  if (!state.baseline || state.baseline.hour !== hour) {
    const previous = state.hours.get(hour - 1);
    state.baseline = previous && previous.expiresAt > now ? { hour, n: previous.n, bytes: previous.bs } : { hour, n: 0, bytes: 0 };
  }
  const prev = state.baseline;
  const current = state.hours.get(hour) ?? { n: 0, bs: 0 };
  // A subject not seen in the previous hour started this one: its rate is over the minutes it has been seen in.
  const minutesBefore = Math.max(5, (prev.n > 0 ? 60 : 0) + Math.max(0, (windowStart - hour * HOUR) / MINUTE));
  const before = Math.max(0, prev.n + current.n - w[SLOT.calls]!);
  const bytesBefore = Math.max(0, prev.bytes + current.bs - w[SLOT.bytes]!);
  return before > 0 ? { perMinute: before / minutesBefore, bytesPer5m: (bytesBefore / minutesBefore) * 5 } : undefined;
}

/** A subject's calls on one route in the window ending at `end`: the distinct ids it addressed, its calls by outcome, its own and its peers' usual. */
export function subjectRouteWindow(actor: Actor, trail: ObjectTrail, route: RouteBatch, horizon: TrailHorizon, hop: Hop, end: number, final: boolean, peers: RoutePeers | undefined, eventIds: string[]): SubjectRouteWindow {
  const start = end - hop.windowMs;
  const [n, ok, denied, familiar] = trail.outcomesIn(start, end);
  return {
    api: actor.identity.api,
    subject: actor.identity.subject,
    route: route.route,
    direction: route.direction,
    horizon,
    windowStart: start,
    windowEnd: end,
    final,
    active: trail.activeSpan(start, end),
    distinctIds: trail.ids.countIn(start, end),
    familiarIds: familiar,
    n,
    ok,
    denied,
    ids: trail.ids.keysIn(start, end, 200),
    ownHours: trail.hoursBefore(Math.floor(start / HOUR)),
    peers: peers?.summary(`${route.api}\u0000${route.routeKey}`),
    sampleEventIds: eventIds,
    ips: [...actor.state!.ips.keys()],
  };
}
