import { histogramQuantile, latencyBinValue } from '../../stats.js';
import { addRouteFields, emptyRouteStats } from '../../storage/route-counters.js';
import { storageCaps } from '../../storage/keys.js';
import type { DetectContext, LoginWindow, RouteWindow } from '../../types.js';
import { FIVE_MINUTES, HOUR, MINUTE } from '../../units.js';
import { apiWindows } from '../api-minutes.js';
import type { BatchRecord, CountedBatch, RouteBatch } from '../batch.js';
import type { EngineParts } from '../parts.js';
import type { Handle, ShardResults } from '../shard-plan.js';
import type { PlannedState } from './plan.js';
import { endpointWindows } from '../../inventory/view.js';

/**
 * Stage 5, views: what the detectors see of the batch (DetectContext). The
 * subjects' windows were judged while counting (subject-views.ts); the
 * routes', login routes' and apis' come from what the write read back: the
 * counts of every replica, with their baselines.
 */
export function buildContext(
  parts: EngineParts,
  batch: BatchRecord,
  counted: CountedBatch,
  planned: PlannedState,
  results: ShardResults,
): DetectContext {
  return {
    now: batch.now,
    config: parts.config,
    events: batch.events,
    routes: routeWindows(parts, batch, counted, planned, results),
    apis: apiWindows(parts, planned.apis, results),
    subjects: counted.subjects,
    subjectRoutes: counted.subjectRoutes,
    logins: loginWindows(parts, counted, planned, results),
    endpoints: endpointWindows(parts.inventory, counted.endpoints, planned.inventory, results, batch.latest),
    threats: parts.threats.matcher,
  };
}

/** Each route of the batch: its window up to the batch's latest minute against its baseline hours (cached for the hour). */
function routeWindows(parts: EngineParts, batch: BatchRecord, counted: CountedBatch, planned: PlannedState, results: ShardResults): RouteWindow[] {
  const currentMinute = Math.floor(batch.latest / MINUTE);
  const currentHour = Math.floor(batch.latest / HOUR);
  const windows: RouteWindow[] = [];
  for (const [id, r] of counted.routes) {
    const reads = planned.routeReads.get(id)!;
    const current = emptyRouteStats();
    for (const h of reads.window) addRouteFields(current, results.hash(h));
    let baseline = parts.routeBaselines.get(id)?.stats;
    if (reads.baseline) {
      const read = { ...emptyRouteStats(), hours: 0, firstSeenAt: undefined as number | undefined, hourLatencyQuantiles: [] as number[] };
      const q = parts.config.latency_degradation.quantile;
      for (const h of reads.baseline) {
        const hour = results.hash(h);
        if ((hour.n ?? 0) > 0) read.hours++;
        addRouteFields(read, hour);
        const own = emptyRouteStats();
        addRouteFields(own, hour);
        const quantile = own.n > 0 ? histogramQuantile(own.latencyBins, q, latencyBinValue) : undefined;
        if (quantile !== undefined) read.hourLatencyQuantiles.push(quantile);
      }
      read.firstSeenAt = reads.meta ? results.hash(reads.meta).first : undefined;
      parts.routeBaselines.set(id, { hour: currentHour, stats: read });
      baseline = read;
    }
    windows.push({ ...routeWindow(r, current, baseline!, currentMinute, parts.config.windowMinutes, results), largeSizesBefore: largeSizesBefore(r, reads.largeSizes, results) });
  }
  return windows;
}

function routeWindow(r: RouteBatch, current: RouteWindow['current'], baseline: RouteWindow['baseline'], currentMinute: number, windowMinutes: number, results: ShardResults): Omit<RouteWindow, 'largeSizesBefore'> {
  const newSignatures = r.newSignatures.filter((s) => results.firstSeen(s.handle)[0] === 1).map((s) => ({ signature: s.signature, eventId: s.eventId, timestamp: s.timestamp }));
  const known = r.newSignatures.map((s) => results.firstSeen(s.handle)[1]);
  return {
    api: r.api,
    direction: r.direction,
    route: r.route,
    current,
    windowStart: (currentMinute - windowMinutes + 1) * MINUTE,
    windowEnd: (currentMinute + 1) * MINUTE,
    baseline,
    newSignatures,
    knownSignatures: known.length ? Math.max(...known) - newSignatures.length : 0,
    sampleEventIds: r.eventIds,
  };
}

/** How many large responses of each size class the route served before this batch (what the store holds, less the batch's own). */
function largeSizesBefore(r: RouteBatch, handle: Handle | undefined, results: ShardResults): Map<number, number> {
  const before = new Map<number, number>();
  if (!handle) return before;
  for (const [size, n] of Object.entries(results.hash(handle))) before.set(Number(size), n - (r.largeSizes.get(Number(size)) ?? 0));
  return before;
}

/** Each login window of the batch as every replica counted it, with its route's usual failure share once warm. */
function loginWindows(parts: EngineParts, counted: CountedBatch, planned: PlannedState, results: ShardResults): LoginWindow[] {
  return counted.logins.map((l, i) => {
    const reads = planned.loginReads[i]!;
    const window = results.hash(reads.window);
    const baseline = parts.routeBaselines.get(`${l.api}\u0000${l.routeKey}`)?.stats;
    const distinctIps = results.setSize(reads.ips);
    const distinctPrincipals = results.setSize(reads.principals);
    parts.loginMembers.check(reads.ipsKey, distinctIps, storageCaps.loginIps);
    parts.loginMembers.check(reads.principalsKey, distinctPrincipals, storageCaps.loginPrincipals);
    return {
      api: l.api,
      route: l.route,
      windowStart: l.windowStart,
      windowEnd: l.windowStart + FIVE_MINUTES,
      n: window.n ?? 0,
      failures: window.f ?? 0,
      distinctIps,
      distinctPrincipals,
      baselineFailureShare: baseline && baseline.hours >= parts.config.warmupHours && baseline.n > 0 ? baseline.af / baseline.n : undefined,
      baselineN: baseline?.n ?? 0,
      sampleEventIds: l.eventIds,
    };
  });
}
