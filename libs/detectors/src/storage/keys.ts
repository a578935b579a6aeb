import type { Direction } from '@vigil/contracts';
import type { KeyParts } from '@vigil/state';
import { DAY, HOUR, MINUTE } from '../units.js';

/**
 * The engine's storage vocabulary: every key family it writes in the state
 * store, and how long each lives. A key is its parts under the shard (the
 * api, as the hash tag): `<prefix>:{<api>}:<family>:<parts…>`. The family
 * names are short because there are many keys; they are part of the stored
 * format, so they never change.
 *
 * A route is named in keys by its direction and template (`routeKey`):
 * `i/users/{id}` for an inbound route, `o/v1/charges` for a provider's.
 */
export type RouteKey = string;

export function routeKeyOf(direction: Direction, route: string): RouteKey {
  return `${directionCode(direction)}${route}`;
}

/** `i` or `o`: how keys and route keys name a direction. */
export function directionCode(direction: Direction): 'i' | 'o' {
  return direction === 'inbound' ? 'i' : 'o';
}

export const storageKeys = Object.freeze({
  /** A route's counters of one minute (route-counters.ts fields), shared by every replica. */
  routeMinute: (route: RouteKey, minute: number): KeyParts => ['rm', route, minute],
  /** A route's counters of one hour: its baseline, summed over `baselineHours`. */
  routeHour: (route: RouteKey, hour: number): KeyParts => ['rh', route, hour],
  /** When a route was first seen (`first`). */
  routeMeta: (route: RouteKey): KeyParts => ['rmeta', route],
  /** The response signatures a route has carried, with when each was first seen (capped). */
  routeSignatures: (route: RouteKey): KeyParts => ['rsig', route],
  /** An api's event count (`n`) in one minute, per direction: what volume_anomaly judges. */
  apiMinute: (direction: 'i' | 'o', minute: number): KeyParts => ['am', direction, minute],
  /** An api's event count (`n`) in one hour, per direction: its seasonal and recent baselines. */
  apiHour: (direction: 'i' | 'o', hour: number): KeyParts => ['ah', direction, hour],
  /** An api's event count (`n`) in one day (UTC), per direction: whether it had traffic that day. */
  apiDay: (direction: 'i' | 'o', day: number): KeyParts => ['ad', direction, day],
  /** An api's events of one hour by minute (fields `0`…`59`): the phase within that hour of the day its traffic keeps (a partner's job at :00, a nightly sync from 02:00 to 02:20). */
  apiMinuteProfile: (direction: 'i' | 'o', hour: number): KeyParts => ['amp', direction, hour],
  /** A login route's calls (`n`) and failures (`f`) in one 5-minute window (named by its start in 2.5-minute units: two grids). */
  loginWindow: (route: RouteKey, start: number): KeyParts => ['lw', route, start],
  /** The client IPs seen on a login route in one 5-minute window (a capped set). */
  loginIps: (route: RouteKey, start: number): KeyParts => ['lip', route, start],
  /** The principals tried on a login route in one 5-minute window (a capped set). */
  loginPrincipals: (route: RouteKey, start: number): KeyParts => ['lpr', route, start],
  /** The subject checkpoints filed under one hour (the hour of each subject's latest event). */
  subjectCheckpoints: (hour: number): KeyParts => ['sc', hour],
  /** What subjects learned of their business-as-usual, filed under one day (the day of each one's latest event): it outlives their checkpoints. */
  subjectMemory: (day: number): KeyParts => ['su', day],
  /** The route templates admitted on one day (`maxRoutesPerApi`). */
  admittedRoutes: (day: number): KeyParts => ['routes', day],
  /** Per partition, the offset the api's shared counters hold the events up to. */
  fence: (): KeyParts => ['fence'],
  /** How often a route served a large response of each size (size classes of 2%, route-counters.ts): the sizes it usually serves. */
  routeLargeSizes: (route: RouteKey): KeyParts => ['lsz', route],
});

/** How long each family lives. A time bucket's life is fixed by the window it counts. */
export const storageTtlMs = Object.freeze({
  routeMinute: 3 * HOUR,
  apiMinute: 3 * HOUR,
  routeHour: (baselineHours: number) => (baselineHours + 2) * HOUR,
  /** Two weeks of seasonal baseline (the same hour on days of the same kind: weekdays, weekends), and the hour itself. */
  apiHour: 15 * DAY + HOUR,
  apiDay: 16 * DAY,
  apiMinuteProfile: 8 * DAY,
  routeMeta: 30 * DAY,
  routeSignatures: 30 * DAY,
  /** A 5-minute window is read only while it is current (and for late events). */
  fiveMinuteWindow: (latenessMs: number) => 5 * MINUTE + latenessMs + MINUTE,
  /**
   * A subject's checkpoint: its longest-lived entry (an hour's counts, 3 hours) plus that hour and
   * slack. A subject is looked for in the hours around the batch's, latest first (CHECKPOINT_HOURS).
   */
  subjectCheckpoints: 5 * HOUR,
  /** A subject's business-as-usual: its memory (3 days of episodes) and that day. Looked for in the days around the batch's (MEMORY_DAYS). */
  subjectMemory: 4 * DAY,
  admittedRoutes: 2 * DAY,
  /** Renewed by each batch of its api and partition. */
  fence: 7 * DAY,
  /** How long a published finding id is remembered (replays within it emit nothing new). */
  claim: 7 * DAY,
  routeLargeSizes: 7 * DAY,
});

/** The hours (relative to the batch's) where a subject's checkpoint is looked for, latest first. */
export const CHECKPOINT_HOURS: readonly number[] = [1, 0, -1, -2, -3];

/** The days (relative to the batch's) where a subject's memory is looked for, latest first. */
export const MEMORY_DAYS: readonly number[] = [1, 0, -1, -2, -3];

/** Where events of routes beyond an api's `maxRoutesPerApi` are counted. */
export const OVERFLOW_ROUTE = '{other}';

/** Capped families: at most this many members each. */
export const storageCaps = Object.freeze({
  loginIps: 5000,
  loginPrincipals: 5000,
  /** First-seen hash of a route's meta (`first` and room to spare). */
  routeMeta: 4,
});
