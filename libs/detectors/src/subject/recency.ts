/**
 * Keys (object ids, routes, principals tried) with the event time each was
 * last seen, at most `cap` of them: the least recently seen is forgotten
 * first. A Map keeps its keys in the order they were last set, so it is its
 * own LRU list: oldest first.
 */
export class RecencyMap {
  readonly seen = new Map<string, number>();

  constructor(readonly cap: number) {}

  /** Notes `key` seen at `t` (a later sighting moves it to the end; an earlier one, a late event, keeps the later time). */
  touch(key: string, t: number): void {
    const last = this.seen.get(key);
    if (last !== undefined) {
      if (t <= last) return;
      this.seen.delete(key);
    } else if (this.seen.size >= this.cap) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, t);
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
    for (const [key, t] of this.seen) {
      if (t >= before) break;
      this.seen.delete(key);
    }
  }

  get size(): number {
    return this.seen.size;
  }

  toRows(): [string, number][] {
    return [...this.seen];
  }

  static fromRows(cap: number, rows: readonly [string, number][] | undefined): RecencyMap {
    const m = new RecencyMap(cap);
    for (const [key, t] of rows ?? []) m.seen.set(key, t);
    return m;
  }
}
