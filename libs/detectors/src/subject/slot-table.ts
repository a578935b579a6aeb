/**
 * Counters per time slot, a fixed number of them per slot, in two flat
 * arrays of numbers: the slot numbers in the order they were started (a
 * Map's key order: mostly time order, a late event's slot at the end) and
 * their counters at the same positions. A subject's slots lie together in
 * memory: summing a window reads two arrays instead of following a pointer
 * per slot, which with thousands of subjects was most of a sum's cost.
 * Positions past `size` are spare room, reused as slots start.
 */
export class SlotTable {
  readonly keys: number[] = [];
  readonly counts: number[] = [];
  size = 0;
  /** No slot held is older than this (a lower bound): dropping the slots before it has nothing to do. */
  private oldestBound = Infinity;
  /** The slot found last and its position: most calls fall in the slot of the call before. */
  private lastSlot = NaN;
  private lastPosition = -1;

  constructor(readonly fields: number) {}

  /** The position of `slot`, or −1 when it is not held. */
  find(slot: number): number {
    if (slot === this.lastSlot) return this.lastPosition;
    for (let p = this.size - 1; p >= 0; p--) {
      if (this.keys[p] !== slot) continue;
      this.lastSlot = slot;
      this.lastPosition = p;
      return p;
    }
    return -1;
  }

  /** Starts `slot` with zero counters, after the others; returns its position. */
  append(slot: number): number {
    const p = this.size++;
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

  /** How many slots from the first are before `keepFrom` (up to the first that is not). */
  leadingBefore(keepFrom: number): number {
    let n = 0;
    while (n < this.size && this.keys[n]! < keepFrom) n++;
    return n;
  }

  /** Forgets the first `n` slots. */
  dropFirst(n: number): void {
    if (n === 0) return;
    this.keys.copyWithin(0, n, this.size);
    this.counts.copyWithin(0, n * this.fields, this.size * this.fields);
    this.size -= n;
    this.lastSlot = NaN;
  }

  /** Whether some slot held may be before `keepFrom` (false: none is). */
  mayHoldBefore(keepFrom: number): boolean {
    return this.oldestBound < keepFrom;
  }

  /** Forgets every slot before `keepFrom`, wherever it is; `forgetting` is told each one's position first. */
  dropBefore(keepFrom: number, forgetting?: (position: number) => void): void {
    if (!this.mayHoldBefore(keepFrom)) return;
    let kept = 0;
    let oldest = Infinity;
    for (let p = 0; p < this.size; p++) {
      const slot = this.keys[p]!;
      if (slot < keepFrom) {
        forgetting?.(p);
        continue;
      }
      if (kept !== p) {
        this.keys[kept] = slot;
        this.counts.copyWithin(kept * this.fields, p * this.fields, (p + 1) * this.fields);
      }
      if (slot < oldest) oldest = slot;
      kept++;
    }
    this.size = kept;
    this.oldestBound = oldest;
    this.lastSlot = NaN;
  }

  /** The first and last slot of `slotMs` inside [from, to) (both on slot boundaries). */
  static range(from: number, to: number, slotMs: number): [first: number, last: number] {
    return [Math.floor(from / slotMs), Math.ceil(to / slotMs) - 1];
  }
}
