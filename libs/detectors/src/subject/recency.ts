import { writtenValue, type JsonText } from './json-text.js';

/** Offsets stay small integers, well inside what a number holds unboxed (2^30 ms is 12 days). */
const MAX_OFFSET = 2 ** 30;

/**
 * Keys (object ids, routes, principals tried) with the event time each was
 * last seen, at most `cap` of them: the least recently seen is forgotten
 * first. A Map keeps its keys in the order they were last set, so it is its
 * own LRU list: oldest first.
 */
export class RecencyMap {
  /**
   * Each key's latest sighting as an offset from `origin`, oldest first. A small integer is stored in the map as it
   * is; a time since 1970 would be a number boxed on the heap, allocated anew at every sighting and collected later.
   */
  private readonly offsets = new Map<string, number>();
  /** The time offsets count from: the first sighting, moved when one falls too far from it. */
  private origin = 0;
  /** The key set last (the end of the order): seen again, it needs no move. */
  private newest: string | undefined;
  /** The first key (the start of the order) and its time, when known: a prune that would keep it needs no iterator. */
  private first: string | undefined;
  private firstAt = 0;

  constructor(readonly cap: number) {}

  /**
   * Notes `key` seen at `t` (a later sighting moves it to the end; an earlier one, a late event, keeps the later
   * time). Returns when it was seen before, if it was: one lookup where asking first would take two.
   */
  touch(key: string, t: number): number | undefined {
    const last = this.offsets.get(key);
    const before = last === undefined ? undefined : this.origin + last;
    if (before !== undefined) {
      if (t <= before) return before;
      if (key !== this.newest) this.offsets.delete(key);
    } else if (this.offsets.size >= this.cap) {
      this.offsets.delete(this.offsets.keys().next().value!);
      this.first = undefined;
    }
    // The first key moves to the end, or its time changes.
    if (key === this.first) this.first = undefined;
    this.set(key, t);
    this.newest = key;
    if (this.offsets.size === 1) this.noteFirst(key, t);
    return before;
  }

  /** Sets a key's time (at the end of the order when new). */
  private set(key: string, t: number): void {
    if (this.offsets.size === 0) this.origin = t;
    else if (Math.abs(t - this.origin) > MAX_OFFSET) this.rebase(t);
    this.offsets.set(key, t - this.origin);
  }

  /** Counts offsets from `origin` instead (setting a key that is held keeps its place in the order). */
  private rebase(origin: number): void {
    for (const [key, offset] of this.offsets) this.offsets.set(key, this.origin + offset - origin);
    this.origin = origin;
  }

  private noteFirst(key: string, t: number): void {
    this.first = key;
    this.firstAt = t;
  }

  /** When `key` was last seen, or undefined. */
  get(key: string): number | undefined {
    const offset = this.offsets.get(key);
    return offset === undefined ? undefined : this.origin + offset;
  }

  /** Its keys, the least recently seen first. */
  keys(): IterableIterator<string> {
    return this.offsets.keys();
  }

  /** Its keys with the time each was last seen, the least recently seen first. */
  *entries(): IterableIterator<[string, number]> {
    for (const [key, offset] of this.offsets) yield [key, this.origin + offset];
  }

  /** How many keys were last seen in [from, to). */
  countIn(from: number, to: number): number {
    const lo = from - this.origin;
    const hi = to - this.origin;
    let n = 0;
    for (const offset of this.offsets.values()) if (offset >= lo && offset < hi) n++;
    return n;
  }

  /** The keys last seen in [from, to), in the order of their last sighting (at most `max`). */
  keysIn(from: number, to: number, max: number): string[] {
    const lo = from - this.origin;
    const hi = to - this.origin;
    const keys: string[] = [];
    for (const [key, offset] of this.offsets) {
      if (offset < lo || offset >= hi) continue;
      keys.push(key);
      if (keys.length >= max) break;
    }
    return keys;
  }

  /** Forgets keys last seen before `before` (from the oldest, up to the first kept: late sightings may stay a little longer). */
  prune(before: number): void {
    if (this.first !== undefined && this.firstAt >= before) return;
    this.first = undefined;
    const lo = before - this.origin;
    for (const [key, offset] of this.offsets) {
      if (offset >= lo) {
        this.noteFirst(key, this.origin + offset);
        return;
      }
      this.offsets.delete(key);
    }
  }

  get size(): number {
    return this.offsets.size;
  }

  /** Its keys for a checkpoint, flat: each key then its time as an offset from `base` (one flat list writes and reads fastest). */
  writeFlat(out: JsonText, base = 0): void {
    out.flatKeys(this.offsets, this.origin - base);
  }

  /** `writeFlat`'s list, as values. */
  toFlat(base = 0): (string | number)[] {
    return writtenValue((out) => this.writeFlat(out, base));
  }

  /** Reads back `toFlat`, or the rows of a checkpoint written before it ([key, time] per key). */
  static fromFlat(cap: number, flat: readonly FlatKey[] | undefined, base = 0): RecencyMap {
    const m = new RecencyMap(cap);
    readFlatKeys(flat, base, (key, t) => m.set(key, t));
    return m;
  }

}

/** An item of a checkpoint's list of keys: flat (key, offset, key, offset…), or a [key, time] row of an older one. */
export type FlatKey = string | number | [string, number];

/** Reads a checkpoint's list of keys, each key with its time (`base` plus its offset), oldest first. */
export function readFlatKeys(flat: readonly FlatKey[] | undefined, base: number, put: (key: string, t: number) => void): void {
  const list = flat ?? [];
  for (let i = 0; i < list.length; ) {
    const head = list[i]!;
    if (Array.isArray(head)) {
      put(head[0], base + head[1]);
      i++;
    } else {
      put(head as string, base + (list[i + 1] as number));
      i += 2;
    }
  }
}
