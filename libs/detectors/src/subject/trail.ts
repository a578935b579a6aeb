import { createHash } from 'node:crypto';
import { HOUR } from '../units.js';
import { RecencyMap } from './recency.js';
import { SLOT_MS, spanOf } from './slots.js';

/** Object ids remembered per subject and route: enough for any threshold, bounded however many a scraper reads (counts past it read "at least"). */
export const TRAIL_IDS = 256;
/** Longest object id kept as it is: a longer one (attacker-made, say) is cut and suffixed with a digest of the whole, distinct and bounded. */
export const MAX_ID_LENGTH = 64;
/** How long an id is remembered: a day, and slack for a daily job that runs a little late. */
export const TRAIL_HORIZON_MS = 26 * HOUR;
/** An id read again this long after its previous read is one the subject knew already (its own objects), not a new one. */
export const FAMILIAR_AFTER_MS = 5 * 60_000;
/** Hours of distinct-id counts kept per subject and route (its own history). */
const TRAIL_HOURS = 48;
/** How long calls by outcome are kept: the slow horizon (30 minutes) and slack. */
export const TRAIL_OUTCOMES_MS = 35 * 60_000;

/**
 * Calls on a route in a 10-second slot: all of them, those answered 2xx, those denied (401/403/404), and those
 * that read an id the subject had read before (FAMILIAR_AFTER_MS or more earlier, within the trail's day).
 */
export type OutcomeCounts = [n: number, ok: number, denied: number, familiar: number];

/**
 * One subject's calls on one route template that carries object ids: which
 * ids it addressed and when it last did (the last TRAIL_IDS, over a day),
 * its calls by outcome in 10-second slots (the recent minutes), how many of
 * them read an id it knew already (a job re-reading its own objects, not an
 * enumeration of new ones), and how many distinct ids it addressed in each
 * past hour (its own business-as-usual).
 */
export class ObjectTrail {
  ids = new RecencyMap(TRAIL_IDS);
  readonly outcomes = new Map<number, OutcomeCounts>();
  /** Distinct ids addressed in each completed hour, by hour. */
  readonly hourly = new Map<number, number>();
  /** The hour of the latest event counted, and its time. */
  hour: number | undefined;
  lastAt: number | undefined;
  /** Windows judged up to this time (their end), by horizon: see hops.ts. */
  readonly judgedUpTo = new Map<string, number>();

  /**
   * Counts an event on the route. When it starts a new hour, the hour before is closed: returns its distinct ids
   * (what the route's peers are told), or undefined.
   */
  add(id: string, t: number, outcome: { ok: boolean; denied: boolean }, counts: boolean): number | undefined {
    const hour = Math.floor(t / HOUR);
    const closed = this.hour !== undefined && hour > this.hour ? this.closeHour(this.hour) : undefined;
    if (this.hour === undefined || hour > this.hour) this.hour = hour;
    if (this.lastAt === undefined || t > this.lastAt) this.lastAt = t;
    const key = boundedId(id);
    const before = this.ids.seen.get(key);
    this.ids.touch(key, t);
    if (!counts) return closed;
    const slot = Math.floor(t / SLOT_MS);
    let c = this.outcomes.get(slot);
    if (!c) this.outcomes.set(slot, (c = [0, 0, 0, 0]));
    c[0]++;
    if (outcome.ok) c[1]++;
    if (outcome.denied) c[2]++;
    if (before !== undefined && t - before >= FAMILIAR_AFTER_MS) c[3]++;
    return closed;
  }

  /** Calls by outcome in [from, to) (slot-aligned). */
  outcomesIn(from: number, to: number): OutcomeCounts {
    const total: OutcomeCounts = [0, 0, 0, 0];
    const first = Math.floor(from / SLOT_MS);
    const last = Math.ceil(to / SLOT_MS) - 1;
    for (const [slot, c] of this.outcomes) {
      if (slot < first || slot > last) continue;
      total[0] += c[0];
      total[1] += c[1];
      total[2] += c[2];
      total[3] += c[3] ?? 0;
    }
    return total;
  }

  /** The span of [from, to) in which the subject called the route (slot-aligned). */
  activeSpan(from: number, to: number): { from: number; to: number } {
    return spanOf(this.outcomes.keys(), () => true, SLOT_MS, from, to);
  }

  /** The distinct-id counts of the hours before `hour` that had any (its own history), oldest first. */
  hoursBefore(hour: number): number[] {
    return [...this.hourly].filter(([h]) => h < hour).sort(([a], [b]) => a - b).map(([, n]) => n);
  }

  /** Forgets what no window reaches any more (outcomes older than `outcomesBefore`, ids and hours past the horizon). */
  prune(now: number, outcomesBefore: number): void {
    for (const slot of this.outcomes.keys()) if ((slot + 1) * SLOT_MS <= outcomesBefore) this.outcomes.delete(slot);
    this.ids.prune(now - TRAIL_HORIZON_MS);
    const oldest = Math.floor(now / HOUR) - TRAIL_HOURS;
    for (const h of this.hourly.keys()) if (h < oldest) this.hourly.delete(h);
  }

  /** True when nothing is left to remember. */
  get empty(): boolean {
    return this.ids.size === 0 && this.outcomes.size === 0 && this.hourly.size === 0;
  }

  private closeHour(hour: number): number {
    const start = hour * HOUR;
    const distinct = this.ids.countIn(start, start + HOUR);
    if (distinct > 0) this.hourly.set(hour, distinct);
    return distinct;
  }

  toRow(): unknown[] {
    return [this.ids.toRows(), [...this.outcomes], [...this.hourly], this.hour ?? null, [...this.judgedUpTo], this.lastAt ?? null];
  }

  static fromRow(row: unknown[]): ObjectTrail {
    const [ids, outcomes, hourly, hour, judged, lastAt] = row as [[string, number][], [number, OutcomeCounts][], [number, number][], number | null, [string, number][], number | null];
    const trail = new ObjectTrail();
    trail.ids = RecencyMap.fromRows(TRAIL_IDS, ids);
    for (const [slot, c] of outcomes ?? []) trail.outcomes.set(slot, c);
    for (const [h, n] of hourly ?? []) trail.hourly.set(h, n);
    trail.hour = hour ?? undefined;
    trail.lastAt = lastAt ?? undefined;
    for (const [k, t] of judged ?? []) trail.judgedUpTo.set(k, t);
    return trail;
  }
}

/** An object id as a trail keeps it: at most MAX_ID_LENGTH characters. */
export function boundedId(id: string): string {
  if (id.length <= MAX_ID_LENGTH) return id;
  return `${id.slice(0, MAX_ID_LENGTH - 17)}#${createHash('sha256').update(id).digest('base64url').slice(0, 16)}`;
}
