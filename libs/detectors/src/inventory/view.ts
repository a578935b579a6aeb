import type { EndpointWindow } from '../types.js';
import { DAY, HOUR } from '../units.js';
import type { ShardResults } from '../engine/shard-plan.js';
import type { EndpointBatch, EndpointsOfBatch } from './count.js';
import { declaredStatus } from './declared.js';
import { INVENTORY_FIELD as F } from './keys.js';
import type { InventoryMemory } from './memory.js';
import type { InventoryReads } from './plan.js';

/** The batch's endpoints as the detectors see them: first sightings, the previous days' authentication, the declared spec's word. */
export function endpointWindows(memory: InventoryMemory, endpoints: EndpointsOfBatch, reads: InventoryReads, results: ShardResults, latest: number): EndpointWindow[] {
  for (const [id, h] of reads.firstSeen) {
    const first = results.hash(h)[F.first];
    if (first !== undefined) memory.firstSeen.set(id, first);
  }
  for (const [api, h] of reads.apiFirstSeen) {
    const first = results.hash(h)[F.first];
    if (first !== undefined) memory.apiFirstSeen.set(api, first);
  }
  const today = Math.floor(latest / DAY);
  for (const [id, handles] of reads.history) {
    let calls = 0;
    let authenticated = 0;
    for (const h of handles) {
      const day = results.hash(h);
      calls += day[F.calls] ?? 0;
      authenticated += day[F.authenticated] ?? 0;
    }
    memory.history.set(id, { day: today, calls, authenticated });
  }
  const out: EndpointWindow[] = [];
  for (const [id, ep] of endpoints) {
    for (const w of reads.window.get(id)!) out.push(windowOf(memory, id, ep, w.hour, results.hash(w.handle), w.callers ? results.setSize(w.callers) : 0, today));
  }
  return out;
}

/** One hour of an endpoint, with its counts as every replica wrote them. */
function windowOf(memory: InventoryMemory, id: string, ep: EndpointBatch, hour: number, counts: Record<string, number>, callers: number, today: number): EndpointWindow {
  const history = memory.history.get(id);
  return {
    api: ep.api,
    direction: ep.direction,
    method: ep.method,
    route: ep.route,
    windowStart: hour * HOUR,
    windowEnd: (hour + 1) * HOUR,
    calls: counts.n ?? 0,
    servedCalls: counts.sv ?? 0,
    anonymousServed: counts.an ?? 0,
    servedCallers: callers,
    sampleEventIds: ep.sampleEventIds,
    anonymousEventIds: ep.anonymousEventIds,
    firstSeen: memory.firstSeen.get(id),
    apiFirstSeen: memory.apiFirstSeen.get(ep.api),
    history: history && history.day === today ? { calls: history.calls, authenticated: history.authenticated } : undefined,
    declared: declaredStatus(memory.specs, ep.api, ep.method, ep.route),
  };
}
