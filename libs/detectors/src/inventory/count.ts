import type { EventMeasures } from '../storage/route-counters.js';
import { addMarked, type BatchMembers, type MemberMarks, type WrittenMembers } from '../storage/written-members.js';
import type { EnrichedEvent } from '../types.js';
import { LATENCY_BINS, SIZE_BINS } from '../stats.js';
import { DAY, HOUR } from '../units.js';
import { endpointKey } from './keys.js';
import { inventoryMethod } from './model.js';

/** An endpoint's calls on one UTC day of the batch (summed here, written once per batch). */
export interface EndpointDay {
  calls: number;
  authenticated: number;
  anonymousServed: number;
  first: number;
  last: number;
  lowestRemaining: number | undefined;
  /** Calls by status code (indexed by the code), latency bin and size bin (stats.ts): arrays, a lookup fewer a call than maps. */
  codes: number[];
  latencyBins: number[];
  sizeBins: number[];
  /** Its distinct principals, addresses and clients: those the sketches were not sent this hour. */
  principals: BatchMembers;
  addresses: BatchMembers;
  clients: BatchMembers;
}

/** One endpoint (api, direction, method, route template) as a batch met it. */
export interface EndpointBatch {
  api: string;
  key: string;
  direction: EnrichedEvent['direction'];
  method: string;
  route: string;
  days: Map<number, EndpointDay>;
  /** The day and hour of the previous event, and their counts (most events of a batch share them). */
  lastDay: number;
  lastDayCounts: EndpointDay | undefined;
  lastHour: number;
  lastHourCounts: EndpointHour | undefined;
  /** Response signatures (`s:`) and content types (`t:`) the batch saw, with their first time in it. */
  shapes: Map<string, number>;
  /** Per hour: calls, those answered below 400, and those of them without a principal (the detectors' window). */
  hours: Map<number, EndpointHour>;
  /** The batch's calls without a principal answered below 400, and a few event ids (evidence). */
  anonymousServed: number;
  sampleEventIds: string[];
  anonymousEventIds: string[];
  first: number;
  last: number;
  /** The previous event's signature and media type as sent (most events repeat them). */
  lastSignature: string | undefined;
  lastContentType: string | undefined;
}

/** An endpoint's calls in one hour of the batch: all, answered below 400, those of them without a principal, and the first few callers served. */
export interface EndpointHour {
  calls: number;
  served: number;
  anonymousServed: number;
  callers: Set<string>;
}

/** Bounded text in sketches: a sketch stores a hash, but a member is sent to Redis whole. */
const MEMBER_CHARS = 256;
/** Served callers of an endpoint's hour a batch sends (the set keeps as many): enough to tell one caller from several. */
export const MAX_CALLERS_PER_HOUR = 8;

/** The batch's endpoints, by `api\u0000endpoint key`. */
export type EndpointsOfBatch = Map<string, EndpointBatch>;

/** What counting a batch's endpoints needs: its endpoints so far, and the sketch members written this hour (of the batch's clock). */
export interface EndpointCounting {
  endpoints: EndpointsOfBatch;
  sketchMembers: WrittenMembers;
  hour: number;
}

/**
 * Counts one event into its endpoint (`byMethod`: its route's endpoints of the batch, by the event's method as sent);
 * `counters` false for an event the shared counters hold already (a replay); `marks`, its caller's (none for a call
 * without an actor).
 */
export function countEndpointEvent(c: EndpointCounting, byMethod: Map<string, EndpointBatch>, e: EnrichedEvent, counters: boolean, m: EventMeasures, marks: MemberMarks | undefined): void {
  let ep = byMethod.get(e.method);
  if (!ep) byMethod.set(e.method, (ep = endpointOf(c.endpoints, e)));
  const anonymousServed = !e.principal && e.status < 400;
  if (e.timestamp > ep.last) ep.last = e.timestamp;
  if (ep.sampleEventIds.length < 10) ep.sampleEventIds.push(e.id);
  if (anonymousServed) {
    ep.anonymousServed++;
    if (ep.anonymousEventIds.length < 10) ep.anonymousEventIds.push(e.id);
  }
  noteShapes(ep, e);
  if (!counters) return;
  const d = dayOf(c, ep, e.timestamp);
  countDay(d, e, anonymousServed, m);
  noteCallers(d, e, marks);
  countHour(hourOf(ep, e.timestamp), e, anonymousServed);
}

/** The batch's endpoint of an event, made the first time (two methods sent differently, `get` and `GET`, are one endpoint). */
function endpointOf(endpoints: EndpointsOfBatch, e: EnrichedEvent): EndpointBatch {
  const method = inventoryMethod(e.method);
  const key = endpointKey(e.direction, method, e.route);
  const id = `${e.api}\u0000${key}`;
  let ep = endpoints.get(id);
  if (!ep) {
    ep = { api: e.api, key, direction: e.direction, method, route: e.route, days: new Map(), lastDay: NaN, lastDayCounts: undefined, lastHour: NaN, lastHourCounts: undefined, shapes: new Map(), hours: new Map(), anonymousServed: 0, sampleEventIds: [], anonymousEventIds: [], first: e.timestamp, last: e.timestamp, lastSignature: undefined, lastContentType: undefined };
    endpoints.set(id, ep);
  }
  return ep;
}

/** Response signatures and media types: worked out only when an event's differ from the previous event's (most repeat). */
function noteShapes(ep: EndpointBatch, e: EnrichedEvent): void {
  const sig = e.responseSignature;
  if (sig && sig !== ep.lastSignature) {
    const name = `s:${bounded(sig)}`;
    if (!ep.shapes.has(name)) ep.shapes.set(name, e.timestamp);
  }
  const type = e.contentType;
  if (type && type !== ep.lastContentType) {
    const name = `t:${contentTypeOf(type)}`;
    if (!ep.shapes.has(name)) ep.shapes.set(name, e.timestamp);
  }
  ep.lastSignature = sig;
  ep.lastContentType = type;
}

function dayOf(c: EndpointCounting, ep: EndpointBatch, t: number): EndpointDay {
  const day = Math.floor(t / DAY);
  if (day === ep.lastDay) return ep.lastDayCounts!;
  let d = ep.days.get(day);
  if (!d) {
    const members = (kind: string) => c.sketchMembers.batchOf(`${ep.api}\u0000${ep.key}\u0000${kind}${day}`, c.hour);
    d = { calls: 0, authenticated: 0, anonymousServed: 0, first: t, last: t, lowestRemaining: undefined, codes: [], latencyBins: new Array<number>(LATENCY_BINS).fill(0), sizeBins: new Array<number>(SIZE_BINS).fill(0), principals: members('p'), addresses: members('a'), clients: members('c') };
    ep.days.set(day, d);
  }
  ep.lastDay = day;
  ep.lastDayCounts = d;
  return d;
}

function hourOf(ep: EndpointBatch, t: number): EndpointHour {
  const hour = Math.floor(t / HOUR);
  if (hour === ep.lastHour) return ep.lastHourCounts!;
  let h = ep.hours.get(hour);
  if (!h) ep.hours.set(hour, (h = { calls: 0, served: 0, anonymousServed: 0, callers: new Set() }));
  ep.lastHour = hour;
  ep.lastHourCounts = h;
  return h;
}

function countHour(h: EndpointHour, e: EnrichedEvent, anonymousServed: boolean): void {
  h.calls++;
  if (e.status >= 400) return;
  h.served++;
  if (anonymousServed) h.anonymousServed++;
  const caller = e.principal ?? e.clientIp ?? e.clientId;
  if (caller !== undefined && h.callers.size < MAX_CALLERS_PER_HOUR) h.callers.add(bounded(caller));
}

/** Text sent whole to Redis is bounded; most is short already and kept as it is. */
const bounded = (text: string) => (text.length <= MEMBER_CHARS ? text : text.slice(0, MEMBER_CHARS));

function countDay(d: EndpointDay, e: EnrichedEvent, anonymousServed: boolean, m: EventMeasures): void {
  d.calls++;
  if (e.principal) d.authenticated++;
  if (anonymousServed) d.anonymousServed++;
  if (e.timestamp < d.first) d.first = e.timestamp;
  if (e.timestamp > d.last) d.last = e.timestamp;
  d.codes[e.status] = (d.codes[e.status] ?? 0) + 1;
  d.latencyBins[m.latencyBin]!++;
  if (m.sizeBin !== undefined) d.sizeBins[m.sizeBin]!++;
  const permyriad = m.remainingPermyriad;
  if (permyriad !== undefined && (d.lowestRemaining === undefined || permyriad < d.lowestRemaining)) d.lowestRemaining = permyriad;
}

/** The event's principal, address and client among the day's distinct callers (its caller's marks spare the lookups it made before). */
function noteCallers(d: EndpointDay, e: EnrichedEvent, marks: MemberMarks | undefined): void {
  if (e.principal) addMarked(d.principals, bounded(e.principal), marks);
  if (e.clientIp) addMarked(d.addresses, bounded(e.clientIp), marks);
  if (e.clientId) addMarked(d.clients, bounded(e.clientId), marks);
}

/** The media type without parameters, lower case (`application/json; charset=utf-8` → `application/json`), bounded. */
export function contentTypeOf(raw: string): string {
  return raw.split(';')[0]!.trim().toLowerCase().slice(0, 100);
}
