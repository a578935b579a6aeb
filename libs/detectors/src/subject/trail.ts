import { createHash } from 'node:crypto';
import { HOUR } from '../units.js';
import { RecencyMap } from './recency.js';
import { writtenValue, type JsonText } from './json-text.js';
import { SlotTable } from './slot-table.js';
import { SLOT_MS } from './slots.js';

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
 * How long a quiet trail remembers its ids past its current hour (one none of whose hours addressed as many ids as a
 * window needs to be judged): the slow horizon and slack. Only a trail that reads many ids needs a day of them, to
 * tell a job re-reading its own objects from an enumeration; most subjects read a few, and a day of those would be
 * most of their memory.
 */
export const QUIET_TRAIL_IDS_MS = TRAIL_OUTCOMES_MS;

/**
 * Calls on a route in a 10-second slot: all of them, those answered 2xx, those denied (401/403/404), and those
 * that read an id the subject had read before (FAMILIAR_AFTER_MS or more earlier, within the trail's day).
 */
export type OutcomeCounts = [n: number, ok: number, denied: number, familiar: number];
const OUTCOME_FIELDS = 4;

/**
 * A trail's outcome slots, and the calls they hold in all (kept as calls are counted and slots forgotten): an upper
 * bound of any window's, which spares summing the windows of the many trails far below what a detector judges.
 */
class OutcomeSlots extends SlotTable {
  heldCalls = 0;

  constructor() {
    super(OUTCOME_FIELDS);
  }

  /** Puts a slot read back from a checkpoint in, with its calls. */
  restore(slot: number, counters: readonly number[]): void {
    this.set(slot, counters);
    this.heldCalls += counters[0] ?? 0;
  }

  protected override forget(position: number): void {
    this.heldCalls -= this.cells[this.countersAt(position)]!;
  }
}

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
  /** Calls by outcome per 10-second slot (OutcomeCounts, four counters apiece). */
  readonly outcomes = new OutcomeSlots();
  /** Distinct ids addressed in each completed hour, by hour. */
  readonly hourly = new Map<number, number>();
  /** The hour of the latest event counted, and its time. */
  hour: number | undefined;
  /** Whether one of its hours addressed as many ids as make a trail busy (set as each hour closes). */
  busy = false;
  lastAt: number | undefined;
  /** Windows judged up to this time (their end), by horizon: see hops.ts. */
  readonly judgedUpTo = new Map<string, number>();

  /**
   * Counts an event on the route. When it starts a new hour, the hour before is closed: returns its distinct ids
   * (what the route's peers are told), or undefined. A quiet trail (none of its hours reached `busyIds` distinct ids)
   * forgets the ids it read before both its current hour and the last QUIET_TRAIL_IDS_MS, as each call comes (so what
   * it remembers follows from its calls alone, not from when checkpoints were taken).
   */
  add(id: string, t: number, outcome: { ok: boolean; denied: boolean }, counts: boolean, busyIds = Infinity): number | undefined {
    const hour = Math.floor(t / HOUR);
    const closed = this.hour !== undefined && hour > this.hour ? this.closeHour(this.hour) : undefined;
    if (closed !== undefined) this.busy = [...this.hourly].some(([h, n]) => h >= hour - TRAIL_HOURS && n >= busyIds);
    if (this.hour === undefined || hour > this.hour) this.hour = hour;
    if (!this.busy && busyIds !== Infinity) this.ids.prune(Math.min(t - QUIET_TRAIL_IDS_MS, this.hour * HOUR));
    if (this.lastAt === undefined || t > this.lastAt) this.lastAt = t;
    const key = boundedId(id);
    const before = this.ids.touch(key, t);
    if (!counts) return closed;
    const slot = Math.floor(t / SLOT_MS);
    const table = this.outcomes;
    let position = table.find(slot);
    if (position < 0) position = table.append(slot);
    const at = table.countersAt(position);
    const c = table.cells;
    c[at]!++;
    table.heldCalls++;
    if (outcome.ok) c[at + 1]!++;
    if (outcome.denied) c[at + 2]!++;
    if (before !== undefined && t - before >= FAMILIAR_AFTER_MS) c[at + 3]!++;
    return closed;
  }

  /** Calls in [from, to) (slot-aligned; nothing allocated). */
  callsIn(from: number, to: number): number {
    const [first, last] = SlotTable.range(from, to, SLOT_MS);
    const { cells, stride, start, end } = this.outcomes;
    let n = 0;
    for (let p = start; p < end; p++) {
      const slot = cells[p * stride]!;
      if (slot >= first && slot <= last) n += cells[p * stride + 1]!;
    }
    return n;
  }

  /** Whether [from, to) holds at least `n` calls (slot-aligned): most trails hold fewer in all, and need no sum. */
  reaches(from: number, to: number, n: number): boolean {
    return this.outcomes.heldCalls >= n && this.callsIn(from, to) >= n;
  }

  /** Calls by outcome in [from, to) (slot-aligned). */
  outcomesIn(from: number, to: number): OutcomeCounts {
    const total: OutcomeCounts = [0, 0, 0, 0];
    const [first, last] = SlotTable.range(from, to, SLOT_MS);
    const { cells, stride, start, end } = this.outcomes;
    for (let p = start; p < end; p++) {
      const slot = cells[p * stride]!;
      if (slot < first || slot > last) continue;
      for (let i = 0; i < OUTCOME_FIELDS; i++) total[i]! += cells[p * stride + 1 + i]!;
    }
    return total;
  }

  /** The span of [from, to) in which the subject called the route (slot-aligned). */
  activeSpan(from: number, to: number): { from: number; to: number } {
    return this.outcomes.span(from, to, SLOT_MS);
  }

  /** The distinct-id counts of the hours before `hour` that had any (its own history), oldest first. */
  hoursBefore(hour: number): number[] {
    return [...this.hourly].filter(([h]) => h < hour).sort(([a], [b]) => a - b).map(([, n]) => n);
  }

  /** Forgets what no window reaches any more (outcomes older than `outcomesBefore`, ids and hours past the horizon). */
  prune(now: number, outcomesBefore: number): void {
    // A slot ends at or before `outcomesBefore` when it starts before the slot holding it.
    this.outcomes.dropBefore(Math.floor(outcomesBefore / SLOT_MS));
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

  /** The trail for a checkpoint, its times and slots as offsets from `base`; its ids and outcomes flat (quicker to write and read). */
  writeRow(out: JsonText, base = 0): void {
    const baseSlot = Math.floor(base / SLOT_MS);
    out.char(91);
    this.ids.writeFlat(out, base);
    out.raw(',[');
    const { cells, stride, start, end } = this.outcomes;
    for (let p = start; p < end; p++) {
      if (p > start) out.char(44);
      out.num(cells[p * stride]! - baseSlot);
      out.commaNums(cells, p * stride + 1, OUTCOME_FIELDS);
    }
    out.raw('],');
    out.entries(this.hourly);
    out.char(44);
    out.numOrNull(this.hour);
    out.char(44);
    out.entries(this.judgedUpTo);
    out.char(44);
    out.numOrNull(this.lastAt);
    out.raw(this.busy ? ',1]' : ',0]');
  }

  /** `writeRow`'s row, as values. */
  toRow(base = 0): unknown[] {
    return writtenValue((out) => this.writeRow(out, base));
  }

  /** Reads back `toRow` (or a row written before its ids and outcomes were flat). */
  static fromRow(row: unknown[], base = 0): ObjectTrail {
    const [ids, outcomes, hourly, hour, judged, lastAt, busy] = row as [(string | number | [string, number])[], (number | [number, OutcomeCounts])[], [number, number][], number | null, [string, number][], number | null, number | undefined];
    const trail = new ObjectTrail();
    const baseSlot = Math.floor(base / SLOT_MS);
    trail.ids = RecencyMap.fromFlat(TRAIL_IDS, ids, base);
    const list = outcomes ?? [];
    for (let i = 0; i < list.length; ) {
      const head = list[i]!;
      if (Array.isArray(head)) {
        trail.outcomes.restore(baseSlot + head[0], head[1]);
        i++;
      } else {
        trail.outcomes.restore(baseSlot + head, list.slice(i + 1, i + 1 + OUTCOME_FIELDS) as number[]);
        i += 1 + OUTCOME_FIELDS;
      }
    }
    for (const [h, n] of hourly ?? []) trail.hourly.set(h, n);
    trail.hour = hour ?? undefined;
    trail.lastAt = lastAt ?? undefined;
    trail.busy = busy === 1;
    for (const [k, t] of judged ?? []) trail.judgedUpTo.set(k, t);
    return trail;
  }
}

/** An object id as a trail keeps it: at most MAX_ID_LENGTH characters. */
export function boundedId(id: string): string {
  if (id.length <= MAX_ID_LENGTH) return id;
  return `${id.slice(0, MAX_ID_LENGTH - 17)}#${createHash('sha256').update(id).digest('base64url').slice(0, 16)}`;
}
