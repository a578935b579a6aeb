import { storageCaps } from '../storage/keys.js';
import { DAY, HOUR } from '../units.js';
import type { BatchRecord } from '../engine/batch.js';
import { addTo, type Handle, type ShardPlan } from '../engine/shard-plan.js';
import { MAX_CALLERS_PER_HOUR, type EndpointBatch, type EndpointDay, type EndpointsOfBatch } from './count.js';
import { INVENTORY_DAYS, INVENTORY_FIELD as F, MAX_SHAPES_PER_ENDPOINT, inventoryKeys, inventoryTtlMs } from './keys.js';
import type { InventoryMemory } from './memory.js';

/** What judging the batch's endpoints reads back, by `api\u0000endpoint key` (only what the memory lacks). */
export interface InventoryReads {
  firstSeen: Map<string, Handle>;
  apiFirstSeen: Map<string, Handle>;
  /** The hours of the batch's calls to each endpoint, read back with every replica's counts. */
  window: Map<string, { hour: number; handle: Handle; callers: Handle | undefined }[]>;
  /** The previous days' counters of endpoints with anonymous calls served, when today's history is not held. */
  history: Map<string, Handle[]>;
}

/** The inventory's writes for the batch's endpoints (one round trip with the rest of the plan), and the reads its detectors need. */
export function planInventory(memory: InventoryMemory, batch: BatchRecord, endpoints: EndpointsOfBatch): InventoryReads {
  const reads: InventoryReads = { window: new Map(), firstSeen: new Map(), apiFirstSeen: new Map(), history: new Map() };
  const shards = batch.shards;
  const hourNow = Math.floor(batch.now / HOUR);
  const apiLast = new Map<string, number>();
  for (const [id, ep] of endpoints) {
    if (memory.markDue(id, hourNow)) {
      shards.firstSeen(ep.api, inventoryKeys.index(), ep.key, ep.first, memory.maxEndpointsPerApi, inventoryTtlMs.index, true);
      shards.firstSeen(ep.api, inventoryKeys.endpointMeta(ep.key), 'first', ep.first, storageCaps.routeMeta, inventoryTtlMs.index, true);
    }
    if (!memory.firstSeen.has(id)) reads.firstSeen.set(id, shards.read(ep.api, inventoryKeys.endpointMeta(ep.key)));
    apiLast.set(ep.api, Math.max(apiLast.get(ep.api) ?? ep.last, ep.last));
    if (!memory.apiFirstSeen.has(ep.api)) {
      shards.firstSeen(ep.api, inventoryKeys.apiMeta(), 'first', ep.first, storageCaps.routeMeta, inventoryTtlMs.index, true);
      reads.apiFirstSeen.set(ep.api, shards.read(ep.api, inventoryKeys.apiMeta()));
    }
    for (const [day, d] of ep.days) planDay(shards, ep, day, d);
    const callers = new Map<number, Handle>();
    for (const [hour, h] of ep.hours) {
      const counters = shards.counters(ep.api, inventoryKeys.hour(ep.key, hour), inventoryTtlMs.hour);
      addTo(counters, 'n', h.calls);
      if (h.served > 0) addTo(counters, 'sv', h.served);
      if (h.anonymousServed > 0) addTo(counters, 'an', h.anonymousServed);
      if (h.callers.size > 0) callers.set(hour, shards.setAdd(ep.api, inventoryKeys.hourCallers(ep.key, hour), h.callers, MAX_CALLERS_PER_HOUR, inventoryTtlMs.hour));
    }
    const hours = new Set([...ep.hours.keys(), Math.floor(ep.last / HOUR)]);
    reads.window.set(id, [...hours].sort((a, b) => a - b).map((hour) => ({ hour, handle: shards.read(ep.api, inventoryKeys.hour(ep.key, hour)), callers: callers.get(hour) })));
    for (const [shape, t] of ep.shapes) if (memory.markDue(`${id}\u0000${shape}`, hourNow)) shards.firstSeen(ep.api, inventoryKeys.shapes(ep.key), shape, t, MAX_SHAPES_PER_ENDPOINT, inventoryTtlMs.shapes, true);
    const today = Math.floor(batch.latest / DAY);
    if (ep.anonymousServed > 0 && memory.history.get(id)?.day !== today) {
      reads.history.set(id, Array.from({ length: INVENTORY_DAYS }, (_, k) => shards.read(ep.api, inventoryKeys.day(ep.key, today - k - 1))));
    }
  }
  for (const [api, last] of apiLast) shards.max(api, inventoryKeys.apiMeta(), 'last', last, inventoryTtlMs.index, true);
  return reads;
}

/** An endpoint's counters of one day, its first and last call, and its distinct callers (those not written this hour). */
function planDay(shards: ShardPlan, ep: EndpointBatch, day: number, d: EndpointDay): void {
  const key = inventoryKeys.day(ep.key, day);
  const ttl = inventoryTtlMs.day;
  const counters = shards.counters(ep.api, key, ttl);
  addTo(counters, F.calls, d.calls);
  if (d.authenticated > 0) addTo(counters, F.authenticated, d.authenticated);
  if (d.anonymousServed > 0) addTo(counters, F.anonymousServed, d.anonymousServed);
  addCounts(counters, 'c', d.codes);
  addCounts(counters, 'l', d.latencyBins);
  addCounts(counters, 'b', d.sizeBins);
  shards.min(ep.api, key, F.first, d.first, ttl);
  shards.max(ep.api, key, F.last, d.last, ttl);
  if (d.lowestRemaining !== undefined) shards.min(ep.api, key, F.lowestRemaining, d.lowestRemaining, ttl);
  shards.sketch(ep.api, inventoryKeys.principals(ep.key, day), d.principals.members(), ttl);
  shards.sketch(ep.api, inventoryKeys.addresses(ep.key, day), d.addresses.members(), ttl);
  shards.sketch(ep.api, inventoryKeys.clients(ep.key, day), d.clients.members(), ttl);
}

/** Each counted index of `counts` (a code or bin) as the field `<prefix><index>`. */
function addCounts(counters: Map<string, number>, prefix: string, counts: readonly (number | undefined)[]): void {
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n) addTo(counters, `${prefix}${i}`, n);
  }
}
