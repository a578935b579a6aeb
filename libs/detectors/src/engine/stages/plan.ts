import { storageCaps, storageKeys, storageTtlMs } from '../../storage/keys.js';
import { addToHour, emptyRouteCounts, routeCountFields, routeCountN, ROUTE_FIELD, type RouteCounts } from '../../storage/route-counters.js';
import { DAY, HOUR, MINUTE } from '../../units.js';
import { planApiReads, type ApiReads } from '../api-minutes.js';
import type { BatchRecord, CountedBatch, RouteBatch } from '../batch.js';
import type { BatchCheckpoints, CheckpointRun } from '../checkpointer.js';
import type { EngineParts } from '../parts.js';
import { addTo, type Handle } from '../shard-plan.js';
import { planInventory, type InventoryReads } from '../../inventory/plan.js';

/** Login windows are named in keys by their start in units of 2.5 minutes (their two grids' starts). */
const LOGIN_KEY_UNIT = 150_000;

/** What the batch reads back with its write, and where to find each in the results. */
export interface PlannedState {
  checkpoints: BatchCheckpoints;
  /** Per route (`api\u0000routeKey`): its window's minutes, its baseline hours and meta when the cache lacks them, the sizes of its large responses. */
  routeReads: Map<string, { window: Handle[]; baseline?: Handle[]; meta?: Handle; largeSizes?: Handle }>;
  /** Per login window of the batch (counted.logins' order): its counts, the sizes of its IP and principal sets, and the keys their members are remembered under (WrittenMembers). */
  loginReads: { window: Handle; ips: Handle; principals: Handle; ipsKey: string; principalsKey: string }[];
  apis: ApiReads;
  inventory: InventoryReads;
}

/**
 * Stage 3, plan the state: everything the batch writes and reads, in one
 * plan (applied in one round trip by the next stage): the replay fences, the
 * route and api counters of its minutes and hours, the subjects' checkpoint
 * rows, the route windows and baselines it judges, its login windows, and
 * the minutes of every api that close now.
 */
export function planState(parts: EngineParts, batch: BatchRecord, counted: CountedBatch, run: CheckpointRun | undefined): PlannedState {
  moveFences(batch, counted);
  const checkpoints = parts.checkpointer.afterCount(batch.distinct, batch.now, run, (id) => parts.subjects.has(id));
  for (const r of counted.routes.values()) planRouteCounters(parts, batch, r);
  parts.checkpointer.addRows(checkpoints.rows, (tag) => batch.shards.ops(tag));
  const routeReads = planRouteReads(parts, batch, counted);
  const hour = Math.floor(batch.now / HOUR);
  const loginReads = counted.logins.map((l) => {
    const ttlMs = storageTtlMs.fiveMinuteWindow(parts.config.latenessMs);
    const start = l.windowStart / LOGIN_KEY_UNIT;
    const window = batch.shards.counters(l.api, storageKeys.loginWindow(l.routeKey, start), ttlMs);
    addTo(window, 'n', l.n);
    if (l.failures > 0) addTo(window, 'f', l.failures);
    // The IPs and principals this process wrote to the window's sets this hour are not sent again.
    return {
      window: batch.shards.read(l.api, storageKeys.loginWindow(l.routeKey, start)),
      ips: batch.shards.setAdd(l.api, storageKeys.loginIps(l.routeKey, start), l.ips.members(), storageCaps.loginIps, ttlMs),
      principals: batch.shards.setAdd(l.api, storageKeys.loginPrincipals(l.routeKey, start), l.principals.members(), storageCaps.loginPrincipals, ttlMs),
      ipsKey: l.ipsKey,
      principalsKey: l.principalsKey,
    };
  });
  return { checkpoints, routeReads, loginReads, apis: planApiReads(parts, batch), inventory: planInventory(parts.inventory, batch, counted.endpoints) };
}

/** Each subject now holds the batch's events: its fence moves to the batch's last offset, and so does each api's shared counters' fence. */
function moveFences(batch: BatchRecord, counted: CountedBatch): void {
  const source = batch.source;
  if (!source) return;
  const last = source.offsets[source.offsets.length - 1]!;
  for (const actor of batch.distinct) if (actor.fence === undefined || actor.fence < last) actor.state!.fence(source.key, last);
  // Written by the same script call as the counters: refused, with them, when another consumer moved it meanwhile.
  for (const api of counted.apis) {
    batch.shards.ops(api).fences.push({ key: storageKeys.fence(), field: source.key, value: last, staleFrom: source.highWatermark, expected: batch.sharedFences.get(api) ?? null, ttlMs: storageTtlMs.fence });
  }
}

/** A route's minute and hour buckets, and its api's: one increment per field and key. */
function planRouteCounters(parts: EngineParts, batch: BatchRecord, r: RouteBatch): void {
  const direction = r.routeKey[0] as 'i' | 'o';
  const hours = new Map<number, RouteCounts>();
  for (const [minute, counts] of r.minutes) {
    const hour = Math.floor((minute * MINUTE) / HOUR);
    let hourCounts = hours.get(hour);
    if (!hourCounts) hours.set(hour, (hourCounts = emptyRouteCounts()));
    addToHour(hourCounts, counts);
    const routeMinute = batch.shards.counters(r.api, storageKeys.routeMinute(r.routeKey, minute), storageTtlMs.routeMinute);
    routeCountFields(counts, (field, by) => addTo(routeMinute, field, by));
    const n = routeCountN(counts);
    addTo(batch.shards.counters(r.api, storageKeys.apiMinute(direction, minute), storageTtlMs.apiMinute), 'n', n);
    const day = Math.floor((minute * MINUTE) / DAY);
    addTo(batch.shards.counters(r.api, storageKeys.apiMinuteProfile(direction, hour), storageTtlMs.apiMinuteProfile), String(minute % 60), n);
    addTo(batch.shards.counters(r.api, storageKeys.apiDay(direction, day), storageTtlMs.apiDay), 'n', n);
  }
  for (const [minute, permyriad] of r.lowestRemaining) batch.shards.min(r.api, storageKeys.routeMinute(r.routeKey, minute), ROUTE_FIELD.lowestRemainingPermyriad, permyriad, storageTtlMs.routeMinute);
  for (const [hour, counts] of hours) {
    const routeHour = batch.shards.counters(r.api, storageKeys.routeHour(r.routeKey, hour), storageTtlMs.routeHour(parts.config.baselineHours));
    routeCountFields(counts, (field, by) => addTo(routeHour, field, by));
    addTo(batch.shards.counters(r.api, storageKeys.apiHour(direction, hour), storageTtlMs.apiHour), 'n', routeCountN(counts));
  }
}

/** Each route's current window (minutes up to the batch's latest event), and its baseline hours when the cache does not hold this hour's. */
function planRouteReads(parts: EngineParts, batch: BatchRecord, counted: CountedBatch): PlannedState['routeReads'] {
  const { windowMinutes, baselineHours } = parts.config;
  const currentMinute = Math.floor(batch.latest / MINUTE);
  const currentHour = Math.floor(batch.latest / HOUR);
  const reads: PlannedState['routeReads'] = new Map();
  for (const [id, r] of counted.routes) {
    const window = Array.from({ length: windowMinutes }, (_, i) => batch.shards.read(r.api, storageKeys.routeMinute(r.routeKey, currentMinute - windowMinutes + 1 + i)));
    const entry: { window: Handle[]; baseline?: Handle[]; meta?: Handle; largeSizes?: Handle } = { window };
    if (r.largeSizes.size > 0) {
      const sizes = batch.shards.counters(r.api, storageKeys.routeLargeSizes(r.routeKey), storageTtlMs.routeLargeSizes);
      for (const [size, n] of r.largeSizes) addTo(sizes, String(size), n);
      entry.largeSizes = batch.shards.read(r.api, storageKeys.routeLargeSizes(r.routeKey));
    }
    const cached = parts.routeBaselines.get(id);
    if (!cached || cached.hour !== currentHour) {
      entry.baseline = Array.from({ length: baselineHours }, (_, i) => batch.shards.read(r.api, storageKeys.routeHour(r.routeKey, currentHour - baselineHours + i)));
      entry.meta = batch.shards.read(r.api, storageKeys.routeMeta(r.routeKey));
    }
    reads.set(id, entry);
  }
  return reads;
}
