/**
 * Counters per time slot, a fixed number of them per slot, in two flat
 * arrays of numbers: the slot numbers in the order they were started (a
 * Map's key order: mostly time order, a late event's slot at the end) and
 * their counters at the same positions. A subject's slots lie together in
 * memory: summing a window reads two arrays instead of following a pointer
 * per slot, which with thousands of subjects was most of a sum's cost.
 *
 * The slots held are at positions `start` to `end` − 1. Forgetting the
 * oldest moves `start` on; the arrays are compacted only once as many
 * positions are free before `start` as are held (a move per slot forgotten,
 * on average), and positions past `end` are room reused as slots start.
 */
export class SlotTable {
  readonly keys: number[] = [];
  readonly counts: number[] = [];
  start = 0;
  end = 0;
  /** No slot held is older than this (a lower bound): dropping the slots before it has nothing to do. */
  private oldestBound = Infinity;
  /** The slot found last and its position: most calls fall in the slot of the call before. */
  private lastSlot = NaN;
  private lastPosition = -1;

  constructor(readonly fields: number) {}

  get size(): number {
    return this.end - this.start;
  }

  /** The position of `slot`, or −1 when it is not held. */
  find(slot: number): number {
    if (slot === this.lastSlot) return this.lastPosition;
    for (let p = this.end - 1; p >= this.start; p--) {
      if (this.keys[p] !== slot) continue;
      this.lastSlot = slot;
      this.lastPosition = p;
      return p;
    }
    return -1;
  }

  /** Starts `slot` with zero counters, after the others; returns its position. */
  append(slot: number): number {
    const p = this.end++;
    const at = p * this.fields;
    if (p < this.keys.length) this.keys[p] = slot;
    else this.keys.push(slot);
    for (let i = 0; i < this.fields; i++) {
      if (at + i < this.counts.length) this.counts[at + i] = 0;
      else this.counts.push(0);
    }
    if (slot < this.oldestBound) this.oldestBound = slot;
    this.lastSlot = slot;
    this.lastPosition = p;
    return p;
  }

  /** Starts `slot` with the counters read back from a checkpoint (missing ones as 0). */
  set(slot: number, counters: readonly number[]): number {
    const p = this.append(slot);
    for (let i = 0; i < Math.min(counters.length, this.fields); i++) this.counts[p * this.fields + i] = counters[i]!;
    return p;
  }

  /**
   * The span [first slot, end of the last one) inside [from, to) of the slots (of `slotMs`) held, those whose counter
   * `activeField` is above 0 when one is named; [from, to) itself when there are none.
   */
  span(from: number, to: number, slotMs: number, activeField?: number): { from: number; to: number } {
    const [first, last] = SlotTable.range(from, to, slotMs);
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = this.start; p < this.end; p++) {
      const slot = this.keys[p]!;
      if (slot < first || slot > last || (activeField !== undefined && this.counts[p * this.fields + activeField]! <= 0)) continue;
      if (slot < lo) lo = slot;
      if (slot > hi) hi = slot;
    }
    return lo === Infinity ? { from, to } : { from: Math.max(from, lo * slotMs), to: Math.min(to, (hi + 1) * slotMs) };
  }

  /** How many slots from the first are before `keepFrom` (up to the first that is not). */
  leadingBefore(keepFrom: number): number {
    let n = 0;
    while (this.start + n < this.end && this.keys[this.start + n]! < keepFrom) n++;
    return n;
  }

  /** Forgets the first `n` slots (positions change when the arrays are compacted: find them again). */
  dropFirst(n: number): void {
    if (n === 0) return;
    this.start += n;
    this.lastSlot = NaN;
    if (this.start >= this.size) this.compact();
  }

  /** Moves the slots held to the front of the arrays. */
  private compact(): void {
    const { keys, counts, fields, start } = this;
    for (let p = start; p < this.end; p++) {
      keys[p - start] = keys[p]!;
      for (let i = 0; i < fields; i++) counts[(p - start) * fields + i] = counts[p * fields + i]!;
    }
    this.end -= start;
    this.start = 0;
  }

  /** Forgets every slot before `keepFrom`, wherever it is; `forgetting` is told each one's position first. */
  dropBefore(keepFrom: number, forgetting?: (position: number) => void): void {
    if (this.oldestBound >= keepFrom) return;
    const { keys, counts, fields } = this;
    let kept = 0;
    let oldest = Infinity;
    for (let p = this.start; p < this.end; p++) {
      const slot = keys[p]!;
      if (slot < keepFrom) {
        forgetting?.(p);
        continue;
      }
      if (kept !== p) {
        keys[kept] = slot;
        for (let i = 0; i < fields; i++) counts[kept * fields + i] = counts[p * fields + i]!;
      }
      if (slot < oldest) oldest = slot;
      kept++;
    }
    this.start = 0;
    this.end = kept;
    this.oldestBound = oldest;
    this.lastSlot = NaN;
  }

  /** The first and last slot of `slotMs` inside [from, to) (both on slot boundaries). */
  static range(from: number, to: number, slotMs: number): [first: number, last: number] {
    return [Math.floor(from / slotMs), Math.ceil(to / slotMs) - 1];
  }
}
