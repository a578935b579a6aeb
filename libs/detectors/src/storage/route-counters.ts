import { LATENCY_BINS, SIZE_BINS, latencyBin, sizeBin } from '../stats.js';
import type { EnrichedEvent, RouteStats } from '../types.js';

/**
 * The route counters' codec, both ways. A batch counts each minute of a
 * route in a fixed layout (one array add per event, no field names), turned
 * into the store's hash fields once per batch (`routeCountFields`); a read
 * hash is turned back into RouteStats (`addRouteFields`). The field names are
 * the stored format:
 *
 * | field | holds |
 * |---|---|
 * | `n` | calls |
 * | `e4`, `e5`, `e429` | 4xx, 5xx and 429 answers |
 * | `af` | 401 and 403 answers |
 * | `ls` | latency sum, in microseconds |
 * | `bn`, `bs` | responses with a size, and their bytes |
 * | `rln` | calls with rate-limit headers (minute buckets only) |
 * | `rlp` | lowest rate-limit remaining share, in 1/10000 (minute buckets only, a minimum) |
 * | `l<i>`, `b<i>` | latency and size histogram bins (stats.ts) |
 */
export const ROUTE_FIELD = Object.freeze({
  calls: 'n',
  clientErrors: 'e4',
  serverErrors: 'e5',
  tooManyRequests: 'e429',
  authFailures: 'af',
  latencySumMicros: 'ls',
  sizedResponses: 'bn',
  responseBytes: 'bs',
  rateLimitedCalls: 'rln',
  lowestRemainingPermyriad: 'rlp',
});

const CALLS = 0;
const CLIENT_ERRORS = 1;
const SERVER_ERRORS = 2;
const TOO_MANY = 3;
const AUTH_FAILURES = 4;
const LATENCY_SUM = 5;
const SIZED = 6;
const BYTES = 7;
const RATE_LIMITED = 8;
const LATENCY_BIN_0 = 9;
const SIZE_BIN_0 = LATENCY_BIN_0 + LATENCY_BINS;
const F = ROUTE_FIELD;
const FIELDS = [
  F.calls,
  F.clientErrors,
  F.serverErrors,
  F.tooManyRequests,
  F.authFailures,
  F.latencySumMicros,
  F.sizedResponses,
  F.responseBytes,
  F.rateLimitedCalls,
  ...Array.from({ length: LATENCY_BINS }, (_, i) => `l${i}`),
  ...Array.from({ length: SIZE_BINS }, (_, i) => `b${i}`),
];

export type RouteCounts = Float64Array;

export function emptyRouteCounts(): RouteCounts {
  return new Float64Array(FIELDS.length);
}

/**
 * What the route's and the endpoint's counters both take from an event, worked out once per event into one
 * object the count stage reuses (nothing allocated per event).
 */
export interface EventMeasures {
  latencyBin: number;
  /** Undefined when the event has no response size. */
  sizeBin: number | undefined;
  /** The remaining share of its rate limit (remainingPermyriad); undefined when it carried no rate limit. */
  remainingPermyriad: number | undefined;
}

export function measureEvent(e: EnrichedEvent, into: EventMeasures): EventMeasures {
  into.latencyBin = latencyBin(e.latencyMs);
  into.sizeBin = e.responseBytes === undefined ? undefined : sizeBin(e.responseBytes);
  into.remainingPermyriad = hasRateLimit(e) ? remainingPermyriad(e) : undefined;
  return into;
}

export function countRouteEvent(c: RouteCounts, e: EnrichedEvent, m: EventMeasures): void {
  const s = e.status;
  c[CALLS]!++;
  if (s >= 400 && s < 500) c[CLIENT_ERRORS]!++;
  if (s >= 500) c[SERVER_ERRORS]!++;
  if (s === 429) c[TOO_MANY]!++;
  if (s === 401 || s === 403) c[AUTH_FAILURES]!++;
  c[LATENCY_SUM]! += Math.round(e.latencyMs * 1000);
  c[LATENCY_BIN_0 + m.latencyBin]!++;
  const bytes = e.responseBytes;
  if (bytes !== undefined) {
    c[SIZED]!++;
    c[BYTES]! += bytes;
    c[SIZE_BIN_0 + m.sizeBin!]!++;
  }
  if (m.remainingPermyriad !== undefined) c[RATE_LIMITED]!++;
}

export function hasRateLimit(e: EnrichedEvent): e is EnrichedEvent & { rateLimitLimit: number; rateLimitRemaining: number } {
  return e.rateLimitLimit !== undefined && e.rateLimitRemaining !== undefined && e.rateLimitLimit > 0;
}

/** The remaining share of a rate-limited event's quota, in 1/10000 (what `rlp` keeps the lowest of). */
export function remainingPermyriad(e: EnrichedEvent & { rateLimitLimit: number; rateLimitRemaining: number }): number {
  return Math.floor((Math.min(e.rateLimitRemaining, e.rateLimitLimit) / e.rateLimitLimit) * 10_000);
}

/** Adds a minute's counts into its hour's (rate-limit counts stay per minute). */
export function addToHour(hour: RouteCounts, minute: RouteCounts): void {
  for (let i = 0; i < minute.length; i++) if (i !== RATE_LIMITED) hour[i]! += minute[i]!;
}

/** The non-zero counts by field name. */
export function routeCountFields(c: RouteCounts, visit: (field: string, by: number) => void): void {
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) visit(FIELDS[i]!, c[i]!);
}

export function routeCountN(c: RouteCounts): number {
  return c[CALLS]!;
}

export function emptyRouteStats(): RouteStats {
  return { n: 0, e4: 0, e5: 0, e429: 0, af: 0, latencySumMs: 0, latencyBins: new Array<number>(LATENCY_BINS).fill(0), bytesN: 0, bytesSum: 0, bytesBins: new Array<number>(SIZE_BINS).fill(0), rateLimitN: 0 };
}

/** Adds a stored hash of route counters (minute or hour) into `target`. */
export function addRouteFields(target: RouteStats, stored: Record<string, number>): void {
  for (const [field, v] of Object.entries(stored)) {
    switch (field) {
      case F.calls: target.n += v; break;
      case F.clientErrors: target.e4 += v; break;
      case F.serverErrors: target.e5 += v; break;
      case F.tooManyRequests: target.e429 += v; break;
      case F.authFailures: target.af += v; break;
      case F.latencySumMicros: target.latencySumMs += v / 1000; break;
      case F.sizedResponses: target.bytesN += v; break;
      case F.responseBytes: target.bytesSum += v; break;
      case F.rateLimitedCalls: target.rateLimitN += v; break;
      case F.lowestRemainingPermyriad: target.minRateLimitPermyriad = target.minRateLimitPermyriad === undefined ? v : Math.min(target.minRateLimitPermyriad, v); break;
      default: addBin(target, field, v);
    }
  }
}

/** `l<i>` into the latency histogram, `b<i>` into the size histogram. */
function addBin(target: RouteStats, field: string, v: number): void {
  const bins = field[0] === 'l' ? target.latencyBins : field[0] === 'b' ? target.bytesBins : undefined;
  if (!bins) return;
  const i = Number(field.slice(1));
  bins[i] = (bins[i] ?? 0) + v;
}

/** Large responses are told apart by size in classes 2% wide: two downloads of one file fall in one class or neighbours. */
export function largeSizeClass(bytes: number): number {
  return Math.floor(Math.log(Math.max(1, bytes)) / Math.log(1.02));
}
