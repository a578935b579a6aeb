import type { Direction } from '@vigil/contracts';
import type { KeyParts } from '@vigil/state';
import { directionCode } from '../storage/keys.js';
import { DAY, HOUR } from '../units.js';

/**
 * The inventory's key families, under each api's shard like the engine's
 * (`<prefix>:{<api>}:<family>:<parts…>`). An endpoint is named in keys by
 * direction, method and route template (`endpointKey`): `iGET /users/{id}`.
 * Per-day hashes and sketches live 8 days (the 7 days shown and today);
 * the index and the signatures are renewed by every write and capped.
 */
export const inventoryKeys = Object.freeze({
  /** The api's endpoints, each with when it was first seen (capped: `inventory.maxEndpointsPerApi`). */
  index: (): KeyParts => ['inv'],
  /** When an endpoint was first seen (`first`): read back by the detectors (the index cannot answer for one field cheaply). */
  endpointMeta: (endpoint: string): KeyParts => ['iem', endpoint],
  /** When the api itself was first (`first`) and last (`last`) seen: the warm-up of `new_endpoint`, and the day a reader of backtest state counts back from. */
  apiMeta: (): KeyParts => ['invm'],
  /** An endpoint's calls in one hour (`n`), answered below 400 (`sv`), and those without a principal (`an`): what its detectors judge. */
  hour: (endpoint: string, hour: number): KeyParts => ['ieh', endpoint, hour],
  /** The first few callers (principal, else address) an endpoint served in one hour (a capped set): one crawler is not a user base. */
  hourCallers: (endpoint: string, hour: number): KeyParts => ['iec', endpoint, hour],
  /** An endpoint's counters of one UTC day (fields below). */
  day: (endpoint: string, day: number): KeyParts => ['ied', endpoint, day],
  /** Distinct principals, addresses and clients of an endpoint in one day (HyperLogLog). */
  principals: (endpoint: string, day: number): KeyParts => ['ihp', endpoint, day],
  addresses: (endpoint: string, day: number): KeyParts => ['iha', endpoint, day],
  clients: (endpoint: string, day: number): KeyParts => ['ihc', endpoint, day],
  /** Response signatures (`s:<hash>`) and content types (`t:<type>`) an endpoint served, each with its first sighting (capped). */
  shapes: (endpoint: string): KeyParts => ['ish', endpoint],
});

/**
 * Fields of an endpoint's day hash: `n` calls, `a` calls with a principal, `an` calls without one answered
 * below 400, `first` and `last` call times, `rlp` the lowest rate-limit remaining share (1/10000), `c<code>`
 * calls per status code, `l<i>` and `b<i>` latency and size histogram bins (stats.ts).
 */
export const INVENTORY_FIELD = Object.freeze({ calls: 'n', authenticated: 'a', anonymousServed: 'an', first: 'first', last: 'last', lowestRemaining: 'rlp' });

export const inventoryTtlMs = Object.freeze({
  day: 8 * DAY,
  hour: 3 * HOUR,
  index: 30 * DAY,
  shapes: 30 * DAY,
});

/** Days of calls the inventory shows (and the detectors' history reads). */
export const INVENTORY_DAYS = 7;

/** Response signatures and content types kept per endpoint. */
export const MAX_SHAPES_PER_ENDPOINT = 32;

export function endpointKey(direction: Direction, method: string, route: string): string {
  return `${directionCode(direction)}${method} ${route}`;
}

export function parseEndpointKey(key: string): { direction: Direction; method: string; route: string } | undefined {
  const space = key.indexOf(' ');
  if (space < 2 || (key[0] !== 'i' && key[0] !== 'o')) return undefined;
  return { direction: key[0] === 'i' ? 'inbound' : 'outbound', method: key.slice(1, space), route: key.slice(space + 1) };
}
