import { writtenValue, type JsonText } from './json-text.js';
import { readFlatKeys, type FlatKey } from './recency.js';

/** Offsets stay small integers, well inside what a number holds unboxed (2^30 ms is 12 days). */
const MAX_OFFSET = 2 ** 30;

/**
 * RecencyMap's keys and times (subject/recency.ts) for the few keys a
 * subject's recent routes and addresses hold, in one array: each key then
 * its time as an offset from `origin`, the least recently seen first. A
 * call touches them on every event, and a scan of a handful of entries in
 * one array reads less memory than a Map's object and hash table.
 * Same keys, times and order as RecencyMap after any calls (recency.test.ts).
 */
export class RecentKeys {
  /** key, offset, key, offset… oldest first. */
  private readonly cells: (string | number)[] = [];
  private origin = 0;

  constructor(readonly cap: number) {}

  get size(): number {
    return this.cells.length / 2;
  }

  /** Notes `key` seen at `t` (a later sighting moves it to the end; an earlier one, a late event, keeps the later time); returns when it was seen before. */
  touch(key: string, t: number): number | undefined {
    const cells = this.cells;
    const at = this.indexOf(key);
    if (at >= 0) {
      const before = this.origin + (cells[at + 1] as number);
      if (t <= before) return before;
      // Moved to the end: the entries after it move up one place (in place: the array keeps its length and room).
      for (let i = at; i + 2 < cells.length; i += 2) {
        cells[i] = cells[i + 2]!;
        cells[i + 1] = cells[i + 3]!;
      }
      if (cells.length === 2) this.origin = t;
      else if (Math.abs(t - this.origin) > MAX_OFFSET) this.rebase(t);
      cells[cells.length - 2] = key;
      cells[cells.length - 1] = t - this.origin;
      return before;
    }
    if (cells.length / 2 >= this.cap) cells.splice(0, 2);
    this.append(key, t);
    return undefined;
  }

  /** When `key` was last seen, or undefined. */
  get(key: string): number | undefined {
    const at = this.indexOf(key);
    return at < 0 ? undefined : this.origin + (this.cells[at + 1] as number);
  }

  /** Its keys, the least recently seen first. */
  keys(): string[] {
    const keys: string[] = [];
    for (let i = 0; i < this.cells.length; i += 2) keys.push(this.cells[i] as string);
    return keys;
  }

  /** Its keys with the time each was last seen, the least recently seen first. */
  entries(): [string, number][] {
    const entries: [string, number][] = [];
    for (let i = 0; i < this.cells.length; i += 2) entries.push([this.cells[i] as string, this.origin + (this.cells[i + 1] as number)]);
    return entries;
  }

  /** How many keys were last seen in [from, to). */
  countIn(from: number, to: number): number {
    const lo = from - this.origin;
    const hi = to - this.origin;
    let n = 0;
    for (let i = 1; i < this.cells.length; i += 2) {
      const offset = this.cells[i] as number;
      if (offset >= lo && offset < hi) n++;
    }
    return n;
  }

  /** Forgets keys last seen before `before` (from the oldest, up to the first kept: late sightings may stay a little longer). */
  prune(before: number): void {
    const lo = before - this.origin;
    let drop = 0;
    while (drop < this.cells.length && (this.cells[drop + 1] as number) < lo) drop += 2;
    if (drop > 0) this.cells.splice(0, drop);
  }

  /** Its keys for a checkpoint, flat: each key then its time as an offset from `base` (RecencyMap's list). */
  writeFlat(out: JsonText, base = 0): void {
    const cells = this.cells;
    const shift = this.origin - base;
    out.char(91);
    for (let i = 0; i < cells.length; i += 2) {
      if (i > 0) out.char(44);
      out.str(cells[i] as string);
      out.commaNum((cells[i + 1] as number) + shift);
    }
    out.char(93);
  }

  /** `writeFlat`'s list, as values. */
  toFlat(base = 0): (string | number)[] {
    return writtenValue((out) => this.writeFlat(out, base));
  }

  /** Reads back `toFlat` (RecencyMap's list, either form). */
  static fromFlat(cap: number, flat: readonly FlatKey[] | undefined, base = 0): RecentKeys {
    const m = new RecentKeys(cap);
    readFlatKeys(flat, base, (key, t) => m.append(key, t));
    return m;
  }


  private indexOf(key: string): number {
    const cells = this.cells;
    // The newest first: most calls are on the route (and from the address) of the call before.
    for (let i = cells.length - 2; i >= 0; i -= 2) if (cells[i] === key) return i;
    return -1;
  }

  /** Sets a key's time at the end of the order (offsets re-counted from `t` when it falls too far from the origin). */
  private append(key: string, t: number): void {
    if (this.cells.length === 0) this.origin = t;
    else if (Math.abs(t - this.origin) > MAX_OFFSET) this.rebase(t);
    this.cells.push(key, t - this.origin);
  }

  private rebase(origin: number): void {
    for (let i = 1; i < this.cells.length; i += 2) this.cells[i] = this.origin + (this.cells[i] as number) - origin;
    this.origin = origin;
  }
}
