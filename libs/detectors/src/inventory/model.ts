import type { Direction } from '@vigil/contracts';

/**
 * The API inventory as vigil observed it: one entry per api, direction,
 * method and route template (an endpoint), from the events the detector
 * counts (storage in inventory/keys.ts, read back by inventory/read.ts).
 */
export interface InventoryEndpoint {
  api: string;
  direction: Direction;
  /** Upper case; methods outside the standard nine are counted as `OTHER`. */
  method: string;
  /** The route template, as the detectors name it (`/users/{id}/account`). */
  route: string;
  /** Epoch ms of the first and latest call seen. */
  firstSeen: number;
  lastSeen: number;
  /** Calls per UTC day (`YYYY-MM-DD`), oldest first, over the days kept (7). */
  callsPerDay: { day: string; calls: number }[];
  /** Calls over those days. */
  calls: number;
  /** Calls by exact status code (`"200"`, `"404"`…). */
  statusCodes: Record<string, number>;
  /** Latency and response size percentiles (from histograms: bin upper bounds), undefined without data. */
  latencyMs: { p50: number; p95: number } | undefined;
  responseBytes: { p50: number; p95: number } | undefined;
  /** Response signatures (hashes of the response's shape) and content types, each with when it was first seen. */
  signatures: { value: string; firstSeen: number }[];
  contentTypes: { value: string; firstSeen: number }[];
  /** Share of calls that carried a principal (0..1). */
  authenticatedShare: number;
  /** Calls without a principal that were answered below 400. */
  anonymousServed: number;
  /** Distinct callers over the days kept (HyperLogLog estimates, about 1% off). */
  distinct: { principals: number; addresses: number; clients: number };
  /** Outbound providers: the lowest remaining share of a rate-limit quota seen (0..1), when the calls carried rate-limit headers. */
  rateLimitLowestRemaining?: number;
}

/** The nine standard methods; any other is counted as `OTHER` (a client cannot grow the inventory with made-up methods). */
export const STANDARD_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

export function inventoryMethod(method: string): string {
  const m = method.toUpperCase();
  return (STANDARD_METHODS as readonly string[]).includes(m) ? m : 'OTHER';
}
