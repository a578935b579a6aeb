import type { AdmitOp, FieldRead, Prepared, TextRead } from '@vigil/state';
import { CHECKPOINT_HOURS, MEMORY_DAYS, OVERFLOW_ROUTE, routeKeyOf, storageKeys, storageTtlMs } from '../../storage/keys.js';
import { SubjectState } from '../../subject-state.js';
import { DAY, HOUR } from '../../units.js';
import type { Actor, BatchRecord } from '../batch.js';
import type { EngineParts } from '../parts.js';

/**
 * Stage 1, prepare: one round trip before counting. It reads the known-threats
 * version (reloading the matcher when it changed), the checkpoints of the
 * batch's subjects this process does not hold, the admission of routes not
 * admitted today (`maxRoutesPerApi`: events of a refused route are moved to
 * `{other}`), and, given the batch's partition, each api's fence for it (the
 * offset its shared counters hold the events up to). Gives each actor its
 * state; sets the batch's refused routes and shared fences.
 */
export async function prepare(parts: EngineParts, batch: BatchRecord): Promise<void> {
  const missing = actorsWithoutState(parts, batch.distinct);
  const hour = Math.floor(batch.now / HOUR);
  const day = Math.floor(batch.now / DAY);
  const texts: TextRead[] = [];
  for (const [api, actors] of missing) {
    const fields = actors.map((a) => a.identity.key);
    for (const k of CHECKPOINT_HOURS) texts.push({ tag: api, key: storageKeys.subjectCheckpoints(hour + k), fields });
    for (const k of MEMORY_DAYS) texts.push({ tag: api, key: storageKeys.subjectMemory(day + k), fields });
  }
  const routesByApi = batchRoutes(batch);
  const admit = admissionsAsked(parts, routesByApi, day);
  const source = batch.source;
  const fences: FieldRead[] = source ? [...routesByApi.keys()].map((api) => ({ tag: api, key: storageKeys.fence(), field: source.key })) : [];
  if (!parts.threats.load && texts.length === 0 && admit.length === 0 && fences.length === 0) return;

  const prepared = await parts.store.prepare({ threats: parts.threats.load !== undefined, texts, fences, admit, now: batch.now });
  fences.forEach((r, i) => {
    const fence = prepared.fences[i];
    if (fence !== null && fence !== undefined) batch.sharedFences.set(r.tag, fence);
  });
  batch.refusedRoutes = moveRefusedRoutes(parts, batch, admit, prepared, day);
  await parts.threats.refresh(prepared.threatsVersion);
  giveStates(parts, missing, prepared.texts, hour, day);
}

/** Gives each actor the state this process holds; the others, by api, are read back from their checkpoints. */
function actorsWithoutState(parts: EngineParts, actors: readonly Actor[]): Map<string, Actor[]> {
  const missing = new Map<string, Actor[]>();
  for (const actor of actors) {
    const state = parts.subjects.held(actor.identity.id);
    if (state) actor.state = state;
    else {
      let ofApi = missing.get(actor.identity.api);
      if (!ofApi) missing.set(actor.identity.api, (ofApi = []));
      ofApi.push(actor);
    }
  }
  return missing;
}

/** The batch's distinct routes per api and direction (no key per event). */
function batchRoutes(batch: BatchRecord): Map<string, { inbound: Set<string>; outbound: Set<string> }> {
  const routes = new Map<string, { inbound: Set<string>; outbound: Set<string> }>();
  for (const e of batch.events) {
    let byDirection = routes.get(e.api);
    if (!byDirection) routes.set(e.api, (byDirection = { inbound: new Set(), outbound: new Set() }));
    byDirection[e.direction].add(e.route);
  }
  return routes;
}

/** Routes not admitted for today in this process: asked for, per api. */
function admissionsAsked(parts: EngineParts, routesByApi: Map<string, { inbound: Set<string>; outbound: Set<string> }>, day: number): AdmitOp[] {
  const asked = new Map<string, string[]>();
  for (const [api, byDirection] of routesByApi) {
    for (const direction of ['inbound', 'outbound'] as const) {
      for (const route of byDirection[direction]) {
        const routeKey = routeKeyOf(direction, route);
        if (parts.admittedRoutes.get(`${api}\u0000${routeKey}`) === day) continue;
        let keys = asked.get(api);
        if (!keys) asked.set(api, (keys = []));
        keys.push(routeKey);
      }
    }
  }
  return [...asked].map(([api, keys]) => ({ tag: api, key: storageKeys.admittedRoutes(day), members: keys, cap: parts.config.maxRoutesPerApi, ttlMs: storageTtlMs.admittedRoutes }));
}

/** Notes the admitted routes; events of refused ones are counted under `{other}`. Returns how many were moved. */
function moveRefusedRoutes(parts: EngineParts, batch: BatchRecord, admit: readonly AdmitOp[], prepared: Prepared, day: number): number {
  const refused = new Set<string>();
  admit.forEach((a, i) => {
    a.members.forEach((routeKey, j) => {
      if (prepared.admitted[i]![j]) parts.admittedRoutes.set(`${a.tag}\u0000${routeKey}`, day);
      else refused.add(`${a.tag}\u0000${routeKey}`);
    });
  });
  if (refused.size === 0) return 0;
  let moved = 0;
  for (const e of batch.events) {
    if (!refused.has(`${e.api}\u0000${routeKeyOf(e.direction, e.route)}`)) continue;
    e.route = OVERFLOW_ROUTE;
    e.objectId = undefined;
    moved++;
  }
  return moved;
}

/** Each missing actor's state: its latest checkpoint among the hours around the batch's (or a new one), with its latest memory among the days. */
function giveStates(parts: EngineParts, missing: Map<string, Actor[]>, read: (string | null)[][], hour: number, day: number): void {
  let at = 0;
  for (const ofApi of missing.values()) {
    const checkpoints = read.slice(at, (at += CHECKPOINT_HOURS.length));
    const memories = read.slice(at, (at += MEMORY_DAYS.length));
    ofApi.forEach((actor, i) => {
      // Another batch in flight may have read it meanwhile: one state per subject.
      let state = parts.subjects.held(actor.identity.id);
      if (!state) {
        state = readBack(checkpoints, memories, i, hour, day);
        parts.subjects.hold(actor.identity.id, state);
      }
      actor.state = state;
    });
  }
}

/** The subject at `i` as its latest checkpoint and memory have it (each the first found, latest first). */
function readBack(checkpoints: (string | null)[][], memories: (string | null)[][], i: number, hour: number, day: number): SubjectState {
  const k = checkpoints.findIndex((b) => b[i] !== null && b[i] !== undefined);
  const state = k >= 0 ? SubjectState.fromCheckpoint(checkpoints[k]![i]!) : new SubjectState();
  if (k >= 0) state.checkpointHour = hour + CHECKPOINT_HOURS[k]!;
  const m = memories.findIndex((b) => b[i] !== null && b[i] !== undefined);
  if (m >= 0) {
    state.readMemory(memories[m]![i]!);
    state.memoryDay = day + MEMORY_DAYS[m]!;
  }
  return state;
}
