import { countRouteEvent, emptyRouteCounts, hasRateLimit, remainingPermyriad } from '../../storage/route-counters.js';
import { directionCode, routeKeyOf, storageCaps, storageKeys, storageTtlMs } from '../../storage/keys.js';
import { addCapped, SW } from '../../subject-state.js';
import type { EnrichedEvent } from '../../types.js';
import { FIVE_MINUTES, HOUR, MINUTE } from '../../units.js';
import type { Actor, BatchRecord, CountedBatch, LoginBatch, RouteBatch, SubjectBatch, SubjectRouteBatch } from '../batch.js';
import type { EngineParts } from '../parts.js';

/** What every event's count needs of the batch, gathered once. */
interface Counting {
  parts: EngineParts;
  batch: BatchRecord;
  counted: CountedBatch;
  /** The batch's routes by api and direction, for the per-event lookup (no key to build). */
  routeIndex: Map<string, { inbound: Map<string, RouteBatch>; outbound: Map<string, RouteBatch> }>;
  fiveMinuteTtlMs: number;
  enumerationWindowMs: number;
}

/**
 * Stage 2, count: the per-event loop. Each event is counted into its route's
 * minute (shared counters, summed per batch), its acting subject's state
 * (5-minute window, hour, routes, object ids per route and enumeration
 * window) and, on a login route, its login window. An event a replay fence
 * says is held already is seen again (views, evidence) but not counted again.
 */
export function count(parts: EngineParts, batch: BatchRecord): CountedBatch {
  const routeIndex = new Map<string, { inbound: Map<string, RouteBatch>; outbound: Map<string, RouteBatch> }>();
  const counted: CountedBatch = { routes: new Map(), apis: [], subjects: [], subjectRoutes: new Map(), logins: [] };
  const c: Counting = {
    parts,
    batch,
    counted,
    routeIndex,
    fiveMinuteTtlMs: storageTtlMs.fiveMinuteWindow(parts.config.latenessMs),
    enumerationWindowMs: parts.config.bola_enumeration.windowMs,
  };
  const events = batch.events;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const route = countRoute(c, e);
    const actor = batch.actors[i];
    if (actor) countActor(c, e, actor, route);
    if (e.login) countLogin(c, e, route);
  }
  counted.apis = [...routeIndex.keys()];
  return counted;
}

/** True when the counters of `fence` do not hold the event yet (no fence reaches into the batch, or the event is past it). */
function beyond(c: Counting, e: EnrichedEvent, fence: number | undefined): boolean {
  return fence === undefined || c.batch.offsetOf!.get(e)! > fence;
}

function countRoute(c: Counting, e: EnrichedEvent): RouteBatch {
  const api = e.api;
  const minute = Math.floor(e.timestamp / MINUTE);
  let byDirection = c.routeIndex.get(api);
  if (!byDirection) c.routeIndex.set(api, (byDirection = { inbound: new Map(), outbound: new Map() }));
  const sameDirection = byDirection[e.direction];
  let r = sameDirection.get(e.route);
  if (!r) {
    r = newRoute(c, e);
    sameDirection.set(e.route, r);
  }
  // An event the shared counters hold already (counted before a replay) is not counted in them again.
  const replayed = c.batch.replayedShared;
  if (replayed === undefined || beyond(c, e, replayed.get(api) ?? -1)) {
    let counts = r.minutes.get(minute);
    if (!counts) r.minutes.set(minute, (counts = emptyRouteCounts()));
    countRouteEvent(counts, e);
  }
  if (hasRateLimit(e)) {
    const permyriad = remainingPermyriad(e);
    const low = r.lowestRemaining.get(minute);
    if (low === undefined || permyriad < low) r.lowestRemaining.set(minute, permyriad);
  }
  if (r.eventIds.length < 20) r.eventIds.push(e.id);
  if (e.responseSignature && !r.signatures.has(e.responseSignature)) {
    r.signatures.add(e.responseSignature);
    const handle = c.batch.shards.firstSeen(api, storageKeys.routeSignatures(r.routeKey), e.responseSignature.slice(0, 256), e.timestamp, c.parts.config.schema_drift.maxKnownSignatures, storageTtlMs.routeSignatures);
    r.newSignatures.push({ signature: e.responseSignature, handle, eventId: e.id, timestamp: e.timestamp });
  }
  return r;
}

/** A route the batch meets first: its first sighting is noted, and its api is known from now on. */
function newRoute(c: Counting, e: EnrichedEvent): RouteBatch {
  const routeKey = routeKeyOf(e.direction, e.route);
  const r: RouteBatch = { api: e.api, direction: e.direction, route: e.route, routeKey, minutes: new Map(), lowestRemaining: new Map(), logins: new Map(), signatures: new Set(), eventIds: [], newSignatures: [], objectKeys: new Map() };
  c.counted.routes.set(`${e.api}\u0000${routeKey}`, r);
  c.batch.shards.firstSeen(e.api, storageKeys.routeMeta(routeKey), 'first', e.timestamp, storageCaps.routeMeta, storageTtlMs.routeMeta);
  c.parts.knownApis.set(`${e.api}\u0000${directionCode(e.direction)}`, { api: e.api, direction: e.direction });
  return r;
}

/** Counts an event into its acting subject's state: the hour, the 5-minute window (minutes, gaps), routes and object ids. */
function countActor(c: Counting, e: EnrichedEvent, actor: Actor, route: RouteBatch): void {
  const state = actor.state!;
  const now = c.batch.now;
  const fiveMinutes = Math.floor(e.timestamp / FIVE_MINUTES);
  const hour = state.hour(Math.floor(e.timestamp / HOUR), now, 3 * HOUR);
  // The 5-minute window holds the per-minute counts too (SW.minute0…).
  const w = state.window(fiveMinutes, now, c.fiveMinuteTtlMs).c;
  // An event the state holds already is seen again (views, evidence), not counted again.
  const counts = beyond(c, e, actor.fence);
  if (counts) {
    const bytes = e.responseBytes;
    hour.n++;
    if (bytes !== undefined) hour.bs += bytes;
    w[SW.calls]!++;
    w[SW.minute0 + Math.floor(e.timestamp / MINUTE) - fiveMinutes * 5]!++;
    if (e.status >= 400 && e.status < 500) w[SW.clientErrors]!++;
    if (e.login && (e.status === 401 || e.status === 403)) w[SW.authFailures]!++;
    if (e.automationAgent) w[SW.automationCalls]!++;
    if (bytes !== undefined) w[SW.bytes]! += bytes;
    countGap(state, w, e.timestamp);
  }
  const routes = state.routeSet(fiveMinutes, now, c.fiveMinuteTtlMs);
  addCapped(routes, route.routeKey, 64);
  const s = windowOf(c, e, actor, fiveMinutes, w, hour, routes);
  if (e.login && actor.identity.subject.kind === 'ip' && e.principal) {
    s.loginPrincipals = state.loginPrincipalSet(fiveMinutes, now, c.fiveMinuteTtlMs);
    addCapped(s.loginPrincipals, e.principal.slice(0, 256), 256);
  }
  if (e.userAgent && s.userAgents.length < 5) addDistinct(s.userAgents, e.userAgent.slice(0, 200));
  if (s.eventIds.length < 20) s.eventIds.push(e.id);
  if (s.paths.length < 10) addDistinct(s.paths, e.path.slice(0, 200));
  if (e.objectId !== undefined) countObject(c, e, actor, route, counts);
}

/** The gap since the subject's previous call (gaps over a minute are not measured: think time, not rhythm). */
function countGap(state: NonNullable<Actor['state']>, w: number[], timestamp: number): void {
  const last = state.lastSeen;
  if (last !== undefined) {
    const gap = timestamp - last;
    if (gap > 0 && gap <= MINUTE) {
      w[SW.gaps]!++;
      w[SW.gapSumMs]! += gap;
      w[SW.gapSquareSum]! += Math.round((gap * gap) / 100);
    }
  }
  if (last === undefined || timestamp >= last) state.lastSeen = timestamp;
}

/** The actor's 5-minute window in this batch, started on its first event there. */
function windowOf(c: Counting, e: EnrichedEvent, actor: Actor, fiveMinutes: number, counts: number[], hourCounts: SubjectBatch['hourCounts'], routes: SubjectBatch['routes']): SubjectBatch {
  const windows = actor.windows;
  for (let k = 0; k < windows.length; k++) if (windows[k]!.fiveMinutes === fiveMinutes) return windows[k]!;
  const s: SubjectBatch = { api: e.api, subject: actor.identity.subject, state: actor.state!, fiveMinutes, counts, hourCounts, routes, loginPrincipals: undefined, userAgents: [], eventIds: [], paths: [] };
  windows.push(s);
  c.counted.subjects.push(s);
  return s;
}

/** Object ids per subject, route template and enumeration window (BOLA). */
function countObject(c: Counting, e: EnrichedEvent, actor: Actor, route: RouteBatch, counts: boolean): void {
  const windowMs = c.enumerationWindowMs;
  const enumerationWindow = Math.floor(e.timestamp / windowMs);
  let objectsKey = route.objectKeys.get(enumerationWindow);
  if (objectsKey === undefined) route.objectKeys.set(enumerationWindow, (objectsKey = `${route.routeKey} ${enumerationWindow}`));
  const objects = actor.state!.objectWindow(objectsKey, c.batch.now, 3 * windowMs);
  if (objects.ids.size < 1000) objects.ids.add(e.objectId!);
  if (counts) {
    objects.n++;
    if (e.status >= 200 && e.status < 300) objects.ok++;
    if (e.status === 401 || e.status === 403 || e.status === 404) objects.denied++;
  }
  let sr: SubjectRouteBatch | undefined = c.counted.subjectRoutes.get(objects);
  if (!sr) {
    sr = { api: e.api, subject: actor.identity.subject, route: e.route, direction: e.direction, enumerationWindow, objects, ids: [], eventIds: [] };
    c.counted.subjectRoutes.set(objects, sr);
  }
  if (sr.ids.length < 200) sr.ids.push(e.objectId!);
  if (sr.eventIds.length < 20) sr.eventIds.push(e.id);
}

/** A login route's calls, failures, IPs and principals in the event's 5-minute window (shared by every replica). */
function countLogin(c: Counting, e: EnrichedEvent, route: RouteBatch): void {
  const fiveMinutes = Math.floor(e.timestamp / FIVE_MINUTES);
  let l = route.logins.get(fiveMinutes);
  if (!l) {
    l = { api: e.api, route: e.route, routeKey: route.routeKey, fiveMinutes, n: 0, failures: 0, ips: new Set(), principals: new Set(), eventIds: [] } satisfies LoginBatch;
    route.logins.set(fiveMinutes, l);
    c.counted.logins.push(l);
  }
  const replayed = c.batch.replayedShared;
  const shared = replayed === undefined || beyond(c, e, replayed.get(e.api) ?? -1);
  if (shared) l.n++;
  if (e.status === 401 || e.status === 403) {
    if (shared) l.failures++;
    if (l.eventIds.length < 20) l.eventIds.push(e.id);
  }
  if (l.ips.size < storageCaps.loginIps) l.ips.add(e.clientIp ?? '-');
  if (l.principals.size < storageCaps.loginPrincipals) l.principals.add((e.principal ?? '-').slice(0, 256));
}

function addDistinct(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}
