import { FlatRow } from './flat-row.js';

const keysRow = new FlatRow<string | number>();

/**
 * Keys (object ids, routes, principals tried) with the event time each was
 * last seen, at most `cap` of them: the least recently seen is forgotten
 * first. A Map keeps its keys in the order they were last set, so it is its
 * own LRU list: oldest first.
 */
export class RecencyMap {
  readonly seen = new Map<string, number>();
  /** The key set last (the end of the order): seen again, it needs no move. */
  private newest: string | undefined;
  /** The first key (the start of the order) and its time, when known: a prune that would keep it needs no iterator. */
  private first: string | undefined;
  private firstAt = 0;

  constructor(readonly cap: number) {}

  /** Notes `key` seen at `t` (a later sighting moves it to the end; an earlier one, a late event, keeps the later time). */
  touch(key: string, t: number): void {
    const last = this.seen.get(key);
    if (last !== undefined) {
      if (t <= last) return;
      if (key !== this.newest) this.seen.delete(key);
    } else if (this.seen.size >= this.cap) {
      this.seen.delete(this.seen.keys().next().value!);
      this.first = undefined;
    }
    // The first key moves to the end, or its time changes.
    if (key === this.first) this.first = undefined;
    this.seen.set(key, t);
    this.newest = key;
    if (this.seen.size === 1) this.noteFirst(key, t);
  }

  private noteFirst(key: string, t: number): void {
    this.first = key;
    this.firstAt = t;
  }

  /** How many keys were last seen in [from, to). */
  countIn(from: number, to: number): number {
    let n = 0;
    for (const t of this.seen.values()) if (t >= from && t < to) n++;
    return n;
  }

  /** The keys last seen in [from, to), in the order of their last sighting (at most `max`). */
  keysIn(from: number, to: number, max: number): string[] {
    const keys: string[] = [];
    for (const [key, t] of this.seen) {
      if (t < from || t >= to) continue;
      keys.push(key);
      if (keys.length >= max) break;
    }
    return keys;
  }

  /** Forgets keys last seen before `before` (from the oldest, up to the first kept: late sightings may stay a little longer). */
  prune(before: number): void {
    if (this.first !== undefined && this.firstAt >= before) return;
    this.first = undefined;
    for (const [key, t] of this.seen) {
      if (t >= before) {
        this.noteFirst(key, t);
        return;
      }
      this.seen.delete(key);
    }
  }

  get size(): number {
    return this.seen.size;
  }

  /** Its keys for a checkpoint, flat: each key then its time as an offset from `base` (one flat array writes and reads fastest). */
  toFlat(base = 0): (string | number)[] {
    const out = keysRow.start();
    for (const [key, t] of this.seen) {
      out.push(key);
      out.push(t - base);
    }
    return out.take();
  }

  /** Reads back `toFlat`, or the rows of a checkpoint written before it ([key, time] per key). */
  static fromFlat(cap: number, flat: readonly (string | number | [string, number])[] | undefined, base = 0): RecencyMap {
    const m = new RecencyMap(cap);
    const list = flat ?? [];
    for (let i = 0; i < list.length; ) {
      const head = list[i]!;
      if (Array.isArray(head)) {
        m.seen.set(head[0], base + head[1]);
        i++;
      } else {
        m.seen.set(head as string, base + (list[i + 1] as number));
        i += 2;
      }
    }
    return m;
  }
}
