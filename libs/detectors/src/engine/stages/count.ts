import { countRouteEvent, emptyRouteCounts, largeSizeClass, measureEvent, type EventMeasures } from '../../storage/route-counters.js';
import { directionCode, routeKeyOf, storageCaps, storageKeys, storageTtlMs } from '../../storage/keys.js';
import { boundedId, type ObjectTrail } from '../../subject/trail.js';
import type { SubjectState } from '../../subject-state.js';
import type { EnrichedEvent, SubjectHorizon, SubjectRouteWindow, SubjectWindow, TrailHorizon } from '../../types.js';
import { FIVE_MINUTES, HOUR, MINUTE } from '../../units.js';
import type { Actor, BatchRecord, CountedBatch, LoginBatch, RouteBatch } from '../batch.js';
import { endToJudge, stepEnd, SUBJECT_HOPS, trailHops, type Hop } from '../hops.js';
import { windowGates, type WindowGates } from '../gates.js';
import type { EngineParts } from '../parts.js';
import { subjectRouteWindow, subjectWindow } from './subject-views.js';
import { countEndpointEvent, type EndpointCounting } from '../../inventory/count.js';
import { addMarked } from '../../storage/written-members.js';
import { SubjectPassOrder } from './subject-order.js';
import { actorSample, routeEventIds } from './actor-sample.js';

// Indexed loops over these, not for…of: an iterator per window judged was most of the judging's garbage.
const SUBJECT_HORIZONS: readonly SubjectHorizon[] = ['short', 'long'];
const TRAIL_HORIZONS: readonly TrailHorizon[] = ['fast', 'slow'];

/** What every event's count needs of the batch, gathered once. */
interface Counting {
  parts: EngineParts;
  batch: BatchRecord;
  counted: CountedBatch;
  /** The batch's routes by api and direction, for the per-event lookup (no key to build). */
  routeIndex: Map<string, { inbound: Map<string, RouteBatch>; outbound: Map<string, RouteBatch> }>;
  fiveMinuteTtlMs: number;
  trailHops: Readonly<Record<TrailHorizon, Hop>>;
  /** Responses at least this large are counted by size (large_response learns the sizes a route usually serves). */
  largeFloor: number;
  gates: WindowGates;
  /** The current event's measures (measureEvent), refilled per event. */
  measures: EventMeasures;
  /** The subjects' pass (in subject order) puts back in time order what it produces; see subject-order.ts. */
  order: SubjectPassOrder;
  /** Each subject's latest windows, judged after its last call: in the order of the batch's subjects, added last. */
  latestSubjects: SubjectWindow[];
  latestRoutes: { window: SubjectRouteWindow; route: RouteBatch }[];
  /** Each event's route (by position in the batch's events). */
  routes: RouteBatch[];
  endpoints: EndpointCounting;
}

/**
 * Stage 2, count. Each event is counted into its route's minute (shared
 * counters, summed per batch), on a login route its login window, and its
 * acting subject's state (slots, hour, routes, object ids per route), the
 * subjects one after the other (subject-order.ts). An event a replay fence
 * says is held already is seen again (views, evidence) but not counted again.
 */
export function count(parts: EngineParts, batch: BatchRecord): CountedBatch {
  const routeIndex = new Map<string, { inbound: Map<string, RouteBatch>; outbound: Map<string, RouteBatch> }>();
  const counted: CountedBatch = { routes: new Map(), apis: [], subjects: [], subjectRoutes: [], logins: [], endpoints: new Map() };
  const c: Counting = {
    parts,
    batch,
    counted,
    routeIndex,
    fiveMinuteTtlMs: storageTtlMs.fiveMinuteWindow(parts.config.latenessMs),
    trailHops: trailHops(parts.config.bola_enumeration.windowMs),
    largeFloor: Math.min(parts.config.large_response.absoluteBytes, parts.config.large_response.minBytes),
    gates: windowGates(parts.config),
    measures: { latencyBin: 0, sizeBin: undefined, remainingPermyriad: undefined },
    order: new SubjectPassOrder(),
    latestSubjects: [],
    latestRoutes: [],
    routes: new Array<RouteBatch>(batch.events.length),
    endpoints: { endpoints: counted.endpoints, sketchMembers: parts.inventory.sketchMembers, hour: Math.floor(batch.now / HOUR) },
  };
  const events = batch.events;
  const routes = c.routes;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const route = (routes[i] = countRoute(c, e, i));
    if (e.login) countLogin(c, e, route, batch.actors[i]);
  }
  // Subject by subject, each one's calls in time order: its state is read from memory once for all its calls of
  // the batch, not once per call (with thousands of subjects, most of the cost of counting them).
  for (const actor of batch.distinct) {
    const mine = actor.events;
    for (let k = 0; k < mine.length; k++) {
      const i = mine[k]!;
      c.order.at = i;
      actor.counted = k;
      countActor(c, events[i]!, actor, routes[i]!);
    }
    actor.counted = mine.length;
    judgeLatest(c, actor);
  }
  c.order.settle(counted, parts.peers);
  counted.apis = [...routeIndex.keys()];
  gatherLatest(c);
  return counted;
}

/** True when the counters of `fence` do not hold the event yet (no fence reaches into the batch, or the event is past it). */
function beyond(c: Counting, e: EnrichedEvent, fence: number | undefined): boolean {
  return fence === undefined || c.batch.offsetOf!.get(e)! > fence;
}

function countRoute(c: Counting, e: EnrichedEvent, i: number): RouteBatch {
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
  const notCounted = replayed === undefined || beyond(c, e, replayed.get(api) ?? -1);
  const m = measureEvent(e, c.measures);
  if (notCounted) {
    let counts = r.minutes.get(minute);
    if (!counts) r.minutes.set(minute, (counts = emptyRouteCounts()));
    countRouteEvent(counts, e, m);
  }
  const actor = c.batch.actors[i];
  countEndpointEvent(c.endpoints, r.endpoints, e, notCounted, m, actor && (actor.identity.endpointMarks ??= []));
  const permyriad = m.remainingPermyriad;
  if (permyriad !== undefined) {
    const low = r.lowestRemaining.get(minute);
    if (low === undefined || permyriad < low) r.lowestRemaining.set(minute, permyriad);
  }
  if (r.eventIds.length < 20) r.eventIds.push(e.id);
  if (e.responseBytes !== undefined && e.responseBytes >= c.largeFloor) {
    const size = largeSizeClass(e.responseBytes);
    r.largeSizes.set(size, (r.largeSizes.get(size) ?? 0) + 1);
  }
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
  const r: RouteBatch = { api: e.api, direction: e.direction, route: e.route, routeKey, minutes: new Map(), lowestRemaining: new Map(), logins: new Map(), signatures: new Set(), largeSizes: new Map(), eventIds: [], newSignatures: [], endpoints: new Map() };
  c.counted.routes.set(`${e.api}\u0000${routeKey}`, r);
  c.batch.shards.firstSeen(e.api, storageKeys.routeMeta(routeKey), 'first', e.timestamp, storageCaps.routeMeta, storageTtlMs.routeMeta);
  c.parts.knownApis.set(`${e.api}\u0000${directionCode(e.direction)}`, { api: e.api, direction: e.direction });
  return r;
}

/** Counts an event into its acting subject's state: windows it ends are judged first (hops.ts), then the hour, the slots, the recent sets and, on a route with ids, the trail. */
function countActor(c: Counting, e: EnrichedEvent, actor: Actor, route: RouteBatch): void {
  const state = actor.state!;
  const t = e.timestamp;
  judgeSubjectBefore(c, actor, t);
  // An event the state holds already is seen again (views, evidence), not counted again.
  const counts = beyond(c, e, actor.fence);
  if (counts) {
    const hour = state.hour(Math.floor(t / HOUR), c.batch.now, 3 * HOUR);
    hour.n++;
    if (e.responseBytes !== undefined) hour.bs += e.responseBytes;
    const gap = state.lastSeen !== undefined && t > state.lastSeen && t - state.lastSeen <= MINUTE ? t - state.lastSeen : undefined;
    const clientError = e.status >= 400 && e.status < 500;
    const authFailure = e.login === true && (e.status === 401 || e.status === 403);
    const automation = e.automationAgent === true;
    state.slots.countCall(t, clientError, authFailure, automation, e.responseBytes, gap);
    state.blocks.countCall(t, clientError, authFailure, automation, e.responseBytes, gap);
    if (state.lastSeen === undefined || t >= state.lastSeen) state.lastSeen = t;
  }
  state.routes.touch(boundedId(route.routeKey), t);
  if (e.clientIp) state.ips.touch(e.clientIp.slice(0, 64), t);
  if (e.login && actor.identity.subject.kind === 'ip' && e.principal) state.touchLoginPrincipal(boundedId(e.principal), t);
  if (e.objectId !== undefined) countObject(c, e, actor, route, counts);
}

/** The shortest step of the subject windows: a call before its end (most calls) ends no window. */
const SUBJECT_STEP_MS = Math.min(...SUBJECT_HORIZONS.map((h) => SUBJECT_HOPS[h].stepMs));

/** The subject's windows its previous calls ended, before a call at `t` is counted. */
function judgeSubjectBefore(c: Counting, actor: Actor, t: number): void {
  const state = actor.state!;
  if (state.lastSeen === undefined || t < stepEnd(state.lastSeen, SUBJECT_STEP_MS)) return;
  for (let h = 0; h < SUBJECT_HORIZONS.length; h++) {
    const horizon = SUBJECT_HORIZONS[h]!;
    const hop = SUBJECT_HOPS[horizon];
    // Most calls end no window of the longer horizons: known before its judged-up-to time is looked up.
    if (t < stepEnd(state.lastSeen, hop.stepMs)) continue;
    const end = endToJudge(hop, state.lastSeen, t, state.judgedUpTo.get(horizon));
    if (end === undefined) continue;
    state.judgedUpTo.set(horizon, end);
    if (subjectWorthJudging(c.gates, state, horizon, end - hop.windowMs, end)) c.order.subject(c.counted, subjectWindow(actor, horizon, hop, end, true, c.batch.now, actorSample(c.batch.events, actor)));
  }
}

const totals: [number, number, number] = [0, 0, 0];

/** Whether any detector could judge the subject's window (windowGates): it holds enough calls, failed logins or bytes. */
function subjectWorthJudging(gates: WindowGates, state: SubjectState, horizon: SubjectHorizon, from: number, to: number): boolean {
  if (!heldPasses(gates, state, horizon)) return false;
  (horizon === 'short' ? state.slots : state.blocks).totals(from, to, totals);
  return passes(gates, horizon, totals[0], totals[1], totals[2]);
}

/** Whether all the slots the subject holds for the horizon (an upper bound of any of its windows) pass a gate. */
function heldPasses(gates: WindowGates, state: SubjectState, horizon: SubjectHorizon): boolean {
  const series = horizon === 'short' ? state.slots : state.blocks;
  return passes(gates, horizon, series.heldCalls, series.heldAuthFailures, series.heldBytes);
}

function passes(gates: WindowGates, horizon: SubjectHorizon, calls: number, authFailures: number, bytes: number): boolean {
  return calls >= gates.subjectCalls[horizon] || authFailures >= gates.subjectAuthFailures[horizon] || (horizon === 'short' && bytes >= gates.subjectBytes);
}

/** Object ids per subject and route template (BOLA): the trail's windows its previous calls ended are judged first. */
function countObject(c: Counting, e: EnrichedEvent, actor: Actor, route: RouteBatch, counts: boolean): void {
  const trail = actor.state!.trail(route.routeKey);
  noteTouched(actor, trail, route);
  const t = e.timestamp;
  const last = trail.lastAt;
  // A call inside its previous call's shortest step (the fast one) ends no window.
  if (last !== undefined && t >= stepEnd(last, c.trailHops.fast.stepMs)) judgeTrailBefore(c, actor, route, trail, t);
  const closedHour = trail.add(e.objectId!, t, { ok: e.status >= 200 && e.status < 300, denied: e.status === 401 || e.status === 403 || e.status === 404 }, counts, c.gates.trailCalls.fast);
  if (closedHour !== undefined && closedHour > 0) c.order.peerRecord(`${e.api}\u0000${route.routeKey}`, closedHour);
}

/** Lists the trail on `route` among those the actor touched, at its first call there in the batch. */
function noteTouched(actor: Actor, trail: ObjectTrail, route: RouteBatch): void {
  const touched = (actor.trails ??= []);
  for (let k = 0; k < touched.length; k++) if (touched[k]!.route === route) return;
  touched.push({ trail, route });
}

/** The trail's windows its previous calls ended, before a call at `t` is counted. */
function judgeTrailBefore(c: Counting, actor: Actor, route: RouteBatch, trail: ObjectTrail, t: number): void {
  for (let h = 0; h < TRAIL_HORIZONS.length; h++) {
    const horizon = TRAIL_HORIZONS[h]!;
    const hop = c.trailHops[horizon];
    if (t < stepEnd(trail.lastAt!, hop.stepMs)) continue;
    const end = endToJudge(hop, trail.lastAt, t, trail.judgedUpTo.get(horizon));
    if (end === undefined) continue;
    trail.judgedUpTo.set(horizon, end);
    if (!trail.reaches(end - hop.windowMs, end, c.gates.trailCalls[horizon])) continue;
    const window = subjectRouteWindow(actor, trail, route, horizon, hop, end, true, undefined, routeEventIds(c.batch.events, c.routes, actor, route));
    c.order.subjectRoute(c.counted, window, `${route.api}\u0000${route.routeKey}`);
  }
}

/**
 * After a subject's last call in the batch, its latest windows (and its trails' on the routes it called) are judged
 * as they stand, not final: its next calls, in a later batch, may still fall in the same step.
 */
function judgeLatest(c: Counting, actor: Actor): void {
  const { batch, gates, trailHops: trailHopsOf } = c;
  const state = actor.state!;
  if (state.lastSeen === undefined) return;
  for (let h = 0; h < SUBJECT_HORIZONS.length; h++) {
    const horizon = SUBJECT_HORIZONS[h]!;
    const hop = SUBJECT_HOPS[horizon];
    const end = stepEnd(state.lastSeen, hop.stepMs);
    // The bound held first: most subjects are far below every gate, and it needs no lookup.
    if (!heldPasses(gates, state, horizon) || (state.judgedUpTo.get(horizon) ?? -Infinity) >= end || !subjectWorthJudging(gates, state, horizon, end - hop.windowMs, end)) continue;
    c.latestSubjects.push(subjectWindow(actor, horizon, hop, end, false, batch.now, actorSample(batch.events, actor)));
  }
  for (const { trail, route } of actor.trails ?? []) {
    const last = trail.lastAt;
    if (last === undefined) continue;
    for (let h = 0; h < TRAIL_HORIZONS.length; h++) {
      const horizon = TRAIL_HORIZONS[h]!;
      const hop = trailHopsOf[horizon];
      const end = stepEnd(last, hop.stepMs);
      // The calls held first: most trails are far below the gate, and that needs no lookup.
      if (!trail.reaches(end - hop.windowMs, end, gates.trailCalls[horizon]) || (trail.judgedUpTo.get(horizon) ?? -Infinity) >= end) continue;
      // Its route's peers are read at the batch's end, as every other subject's closed hours of the batch are known.
      c.latestRoutes.push({ window: subjectRouteWindow(actor, trail, route, horizon, hop, end, false, undefined, routeEventIds(batch.events, c.routes, actor, route)), route });
    }
  }
}

/** The latest windows judged after each subject's last call (the subjects' order: the batch's), after the others. */
function gatherLatest(c: Counting): void {
  const { counted, parts } = c;
  for (const w of c.latestSubjects) counted.subjects.push(w);
  for (const { window, route } of c.latestRoutes) {
    window.peers = parts.peers.summary(`${route.api}\u0000${route.routeKey}`);
    counted.subjectRoutes.push(window);
  }
}

/** Login windows are 5 minutes on two grids, the second shifted by half a window: a campaign is judged whole wherever it falls. */
const LOGIN_GRID_SHIFT = FIVE_MINUTES / 2;

/** A login route's calls, failures, IPs and principals in the event's two 5-minute windows (shared by every replica). */
function countLogin(c: Counting, e: EnrichedEvent, route: RouteBatch, actor: Actor | undefined): void {
  const replayed = c.batch.replayedShared;
  const shared = replayed === undefined || beyond(c, e, replayed.get(e.api) ?? -1);
  for (const shift of [0, LOGIN_GRID_SHIFT]) {
    const windowStart = Math.floor((e.timestamp - shift) / FIVE_MINUTES) * FIVE_MINUTES + shift;
    let l = route.logins.get(windowStart);
    if (!l) {
      l = newLoginWindow(c, e, route, windowStart);
      route.logins.set(windowStart, l);
      c.counted.logins.push(l);
    }
    if (shared) l.n++;
    if (e.status === 401 || e.status === 403) {
      if (shared) l.failures++;
      if (l.eventIds.length < 20) l.eventIds.push(e.id);
    }
    // A window's sets hold at most their caps: a batch sends no more new members than that.
    const marks = actor && (actor.identity.loginMarks ??= []);
    if (l.ips.newMembers < storageCaps.loginIps) addMarked(l.ips, e.clientIp ?? '-', marks);
    if (l.principals.newMembers < storageCaps.loginPrincipals) addMarked(l.principals, (e.principal ?? '-').slice(0, 256), marks);
  }
}

/** A login window the batch meets first, with its members to note in the sets written this hour. */
function newLoginWindow(c: Counting, e: EnrichedEvent, route: RouteBatch, windowStart: number): LoginBatch {
  const ipsKey = `${e.api}\u0000${route.routeKey}\u0000${windowStart}\u0000ip`;
  const principalsKey = `${e.api}\u0000${route.routeKey}\u0000${windowStart}\u0000pr`;
  const members = c.parts.loginMembers;
  const hour = Math.floor(c.batch.now / HOUR);
  return { api: e.api, route: e.route, routeKey: route.routeKey, windowStart, n: 0, failures: 0, ips: members.batchOf(ipsKey, hour), principals: members.batchOf(principalsKey, hour), ipsKey, principalsKey, eventIds: [] };
}

