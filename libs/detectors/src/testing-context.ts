import type { ApiTransaction } from '@vigil/contracts';
import { detectorsConfigSchema, type DetectorsConfig } from './config.js';
import { createEnricher } from './enrich.js';
import { latencyBin, sizeBin } from './stats.js';
import { addRouteFields, emptyRouteStats } from './storage/route-counters.js';
import { createThreatMatcher, emptyThreats, type ThreatEntry } from './threats.js';
import type { AnyDetector, ApiMinute, ApiWindow, DetectContext, EnrichedEvent, FindingDraft, LoginWindow, EndpointWindow, RouteStats, RouteWindow, SubjectRouteWindow, SubjectWindow } from './types.js';
import { FIVE_MINUTES, HOUR, MINUTE } from './units.js';

/**
 * Detector unit tests without the engine: build the context a detector
 * sees by hand (`contextFor`), with windows that have sensible defaults
 * (`routeWindow`, `subjectWindow`…), and run one detector over it
 * (`runDetector`): its config section and its own view as the engine would
 * give them. The engine-level tests (`detect` in testing.ts) stay as well.
 */

/** Event time of the hand-built contexts: a Monday 10:00 UTC. */
export const CONTEXT_NOW = Date.UTC(2026, 10, 23, 10, 0, 0);

export interface ContextParts {
  now?: number;
  /** Overrides of the `detectors:` config section (as in the config file). */
  config?: Record<string, unknown>;
  /** Raw events: enriched as the engine does. */
  events?: readonly ApiTransaction[];
  routes?: readonly RouteWindow[];
  apis?: readonly ApiWindow[];
  subjects?: readonly SubjectWindow[];
  subjectRoutes?: readonly SubjectRouteWindow[];
  logins?: readonly LoginWindow[];
  endpoints?: readonly EndpointWindow[];
  threats?: readonly ThreatEntry[];
}

/** The context a detector sees, and the whole config it was built with. */
export function contextFor(parts: ContextParts = {}): { ctx: DetectContext; config: DetectorsConfig } {
  const config = detectorsConfigSchema.parse(parts.config ?? {});
  const enrich = createEnricher(config.credential_stuffing.loginRoutePattern);
  const ctx: DetectContext = {
    now: parts.now ?? CONTEXT_NOW,
    config,
    events: (parts.events ?? []).map(enrich),
    routes: parts.routes ?? [],
    apis: parts.apis ?? [],
    subjects: parts.subjects ?? [],
    subjectRoutes: parts.subjectRoutes ?? [],
    logins: parts.logins ?? [],
    endpoints: parts.endpoints ?? [],
    threats: parts.threats ? createThreatMatcher([...parts.threats]) : emptyThreats,
  };
  return { ctx, config };
}

/** One detector over a hand-built context, with its config section and view: its finding drafts. */
export function runDetector(detector: AnyDetector, parts: ContextParts = {}): FindingDraft[] {
  const { ctx, config } = contextFor(parts);
  const own = (config as Record<string, unknown>)[detector.name];
  return detector.detect(ctx, own, detector.view?.(ctx, own));
}

/** Route counters as if `calls` calls of `latencyMs` and `bytes` each were counted, with some of them 4xx, 5xx, 429 or 401/403. */
export function routeStats(o: { calls: number; latencyMs?: number; bytes?: number; e4?: number; e5?: number; e429?: number; af?: number; rateLimited?: number; lowestRemainingPermyriad?: number }): RouteStats {
  const stats = emptyRouteStats();
  const latency = o.latencyMs ?? 20;
  const stored: Record<string, number> = { n: o.calls, e4: o.e4 ?? 0, e5: o.e5 ?? 0, e429: o.e429 ?? 0, af: o.af ?? 0, ls: Math.round(latency * 1000) * o.calls, [`l${latencyBin(latency)}`]: o.calls };
  if (o.bytes !== undefined) Object.assign(stored, { bn: o.calls, bs: o.bytes * o.calls, [`b${sizeBin(o.bytes)}`]: o.calls });
  if (o.rateLimited !== undefined) stored.rln = o.rateLimited;
  if (o.lowestRemainingPermyriad !== undefined) stored.rlp = o.lowestRemainingPermyriad;
  addRouteFields(stats, stored);
  return stats;
}

/** A route's recent window against its baseline hours; by default an inbound route with a warm, quiet baseline. */
export function routeWindow(o: Partial<RouteWindow> & { baselineHours?: number } = {}): RouteWindow {
  const now = CONTEXT_NOW;
  const hours = o.baselineHours ?? 24;
  return {
    api: 'accounts',
    direction: 'inbound',
    route: '/users/{id}',
    current: routeStats({ calls: 50 }),
    windowStart: now - 5 * MINUTE,
    windowEnd: now,
    baseline: { ...routeStats({ calls: 600 * hours }), hours, firstSeenAt: now - hours * HOUR, hourLatencyQuantiles: [] },
    newSignatures: [],
    knownSignatures: 0,
    sampleEventIds: ['e-1'],
    largeSizesBefore: new Map(),
    ...o,
  };
}

/** Calls spread over the 30 slots of a short window: `perMinute[k]` calls in the k-th minute, in its first slot. */
export function slotCalls(perMinute: readonly number[]): number[] {
  const slots = new Array<number>(30).fill(0);
  perMinute.forEach((n, k) => (slots[k * 6] = n));
  return slots;
}

/** A subject's short window (5 minutes); by default a principal with a few ordinary calls. */
export function subjectWindow(o: Partial<SubjectWindow> = {}): SubjectWindow {
  const windowStart = o.windowStart ?? Math.floor(CONTEXT_NOW / FIVE_MINUTES) * FIVE_MINUTES;
  return {
    active: { from: windowStart, to: o.windowEnd ?? windowStart + FIVE_MINUTES },
    api: 'accounts',
    subject: { kind: 'principal', value: 'alice' },
    horizon: 'short',
    final: true,
    slotCalls: slotCalls([2, 1, 0, 0, 0]),
    baselinePerMinute: 1,
    windowStart,
    windowEnd: windowStart + FIVE_MINUTES,
    n: 3,
    e4: 0,
    authFailures: 0,
    gaps: { n: 2, meanMs: 20_000, cv: 0.8 },
    automationAgentN: 0,
    distinctRoutes: 2,
    loginPrincipals: 0,
    bytesSum: 3000,
    largestBytes: 0,
    baselineBytesPer5m: 5000,
    userAgents: ['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'],
    sampleEventIds: ['e-1', 'e-2', 'e-3'],
    samplePaths: ['/users/42'],
    ips: ['198.51.100.1'],
    ...o,
  };
}

/** A subject's calls on one route in one fast window (the enumeration window); by default a few reads of its own ids. */
export function subjectRouteWindow(o: Partial<SubjectRouteWindow> = {}): SubjectRouteWindow {
  const windowStart = o.windowStart ?? Math.floor(CONTEXT_NOW / (2 * MINUTE)) * 2 * MINUTE;
  return {
    active: { from: windowStart, to: o.windowEnd ?? windowStart + 2 * MINUTE },
    api: 'accounts',
    subject: { kind: 'principal', value: 'alice' },
    route: '/users/{id}/account',
    direction: 'inbound',
    horizon: 'fast',
    final: true,
    windowStart,
    windowEnd: windowStart + 2 * MINUTE,
    distinctIds: 2,
    familiarIds: 0,
    n: 3,
    ok: 3,
    denied: 0,
    ids: ['42', '43'],
    ownHours: [],
    peers: undefined,
    sampleEventIds: ['e-1'],
    ips: ['198.51.100.1'],
    ...o,
  };
}

/** Sequential ids from `first`, as an enumeration addresses them. */
export function sequentialIds(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i));
}

/** A login route's 5-minute window; by default a quiet one with a warm baseline. */
export function loginWindow(o: Partial<LoginWindow> = {}): LoginWindow {
  const windowStart = Math.floor(CONTEXT_NOW / FIVE_MINUTES) * FIVE_MINUTES;
  return { api: 'auth', route: '/login', windowStart, windowEnd: windowStart + FIVE_MINUTES, n: 20, failures: 1, distinctIps: 15, distinctPrincipals: 18, baselineFailureShare: 0.05, baselineN: 5000, sampleEventIds: ['e-1'], ...o };
}

/** One closed minute of an api against its expectation. */
export function apiMinute(o: Partial<ApiMinute> = {}): ApiMinute {
  return { minute: Math.floor(CONTEXT_NOW / MINUTE) * MINUTE - MINUTE, n: 100, expectedPerMinute: 100, spreadPerMinute: 10, baselineKind: 'seasonal', ...o };
}

/** An api whose minutes closed; by default one ordinary minute. */
export function apiWindow(o: Partial<ApiWindow> = {}): ApiWindow {
  const closedMinutes = o.closedMinutes ?? [apiMinute()];
  const last = closedMinutes[closedMinutes.length - 1];
  return { api: 'accounts', direction: 'inbound', closedMinutes, history: closedMinutes, expectedPerMinute: last?.expectedPerMinute, spreadPerMinute: last?.spreadPerMinute, baselineKind: last?.baselineKind ?? 'warming_up', ...o };
}

export type { EnrichedEvent };

/** An endpoint of the batch: 10 calls in the hour to GET /orders/{id} of `shop`, all with a principal, no spec, seen for two days. */
export function endpointWindow(o: Partial<EndpointWindow> = {}): EndpointWindow {
  return {
    api: 'shop',
    direction: 'inbound',
    method: 'GET',
    route: '/orders/{id}',
    windowStart: Math.floor(CONTEXT_NOW / HOUR) * HOUR,
    windowEnd: Math.floor(CONTEXT_NOW / HOUR) * HOUR + HOUR,
    calls: 10,
    servedCalls: 10,
    anonymousServed: 0,
    servedCallers: 5,
    sampleEventIds: ['e1'],
    anonymousEventIds: [],
    firstSeen: CONTEXT_NOW - 48 * HOUR,
    apiFirstSeen: CONTEXT_NOW - 48 * HOUR,
    history: undefined,
    declared: undefined,
    ...o,
  };
}
