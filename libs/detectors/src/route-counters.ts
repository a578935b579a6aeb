import { LATENCY_BINS, SIZE_BINS, latencyBin, sizeBin } from './stats.js';
import type { EnrichedEvent } from './types.js';

/**
 * A route's counters for one minute of one batch, in a fixed layout (one
 * array add per event, no field names), turned into the store's HINCRBY
 * fields once per batch: `n`, `e4`, `e5`, `e429`, `af`, `ls` (latency sum in
 * µs), `bn`/`bs` (responses with a size, their bytes), `rln` (events with
 * rate-limit headers; minute buckets only), `l<i>` latency bins, `b<i>` size
 * bins.
 */
const N = 0;
const E4 = 1;
const E5 = 2;
const E429 = 3;
const AF = 4;
const LS = 5;
const BN = 6;
const BS = 7;
const RLN = 8;
const L0 = 9;
const B0 = L0 + LATENCY_BINS;
const FIELDS = ['n', 'e4', 'e5', 'e429', 'af', 'ls', 'bn', 'bs', 'rln', ...Array.from({ length: LATENCY_BINS }, (_, i) => `l${i}`), ...Array.from({ length: SIZE_BINS }, (_, i) => `b${i}`)];

export type RouteCounts = Float64Array;

export function emptyRouteCounts(): RouteCounts {
  return new Float64Array(FIELDS.length);
}

export function countRouteEvent(c: RouteCounts, e: EnrichedEvent): void {
  const s = e.status;
  c[N]!++;
  if (s >= 400 && s < 500) c[E4]!++;
  if (s >= 500) c[E5]!++;
  if (s === 429) c[E429]!++;
  if (s === 401 || s === 403) c[AF]!++;
  c[LS]! += Math.round(e.latencyMs * 1000);
  c[L0 + latencyBin(e.latencyMs)]!++;
  const bytes = e.responseBytes;
  if (bytes !== undefined) {
    c[BN]!++;
    c[BS]! += bytes;
    c[B0 + sizeBin(bytes)]!++;
  }
  if (hasRateLimit(e)) c[RLN]!++;
}

export function hasRateLimit(e: EnrichedEvent): e is EnrichedEvent & { rateLimitLimit: number; rateLimitRemaining: number } {
  return e.rateLimitLimit !== undefined && e.rateLimitRemaining !== undefined && e.rateLimitLimit > 0;
}

/** Adds a minute's counts into its hour's (rate-limit counts stay per minute). */
export function addToHour(hour: RouteCounts, minute: RouteCounts): void {
  for (let i = 0; i < minute.length; i++) if (i !== RLN) hour[i]! += minute[i]!;
}

/** The non-zero counts by field name. */
export function routeCountFields(c: RouteCounts, visit: (field: string, by: number) => void): void {
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) visit(FIELDS[i]!, c[i]!);
}

export function routeCountN(c: RouteCounts): number {
  return c[N]!;
}
