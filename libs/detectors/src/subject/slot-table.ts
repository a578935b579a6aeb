/**
 * Counters per time slot, a fixed number of them per slot, in one flat
 * array of numbers: per position, the slot number then its counters. Slots
 * are in the order they were started (a Map's key order: mostly time order,
 * a late event's slot at the end). A subject's slots lie together in memory:
 * counting a call or summing a window reads one array, where a pointer per
 * slot (and then a separate array of slot numbers) was most of the cost with
 * thousands of subjects, each a cache miss.
 *
 * The slots held are at positions `start` to `end` − 1. Forgetting the
 * oldest moves `start` on; the array is compacted only once as many
 * positions are free before `start` as are held (a move per slot forgotten,
 * on average), and positions past `end` are room reused as slots start.
 */
export class SlotTable {
  /** Per position (`stride` numbers apiece): the slot number, then its counters. */
  readonly cells: number[] = [];
  readonly stride: number;
  start = 0;
  end = 0;
  /** No slot held is older than this (a lower bound): dropping the slots before it has nothing to do. */
  private oldestBound = Infinity;
  /** The slot found last and its position: most calls fall in the slot of the call before. */
  private lastSlot = NaN;
  private lastPosition = -1;

  constructor(readonly fields: number) {
    this.stride = fields + 1;
  }

  get size(): number {
    return this.end - this.start;
  }

  /** The slot number at a position. */
  slotAt(position: number): number {
    return this.cells[position * this.stride]!;
  }

  /** Where the counters of the slot at `position` begin in `cells`. */
  countersAt(position: number): number {
    return position * this.stride + 1;
  }

  /** The position of `slot`, or −1 when it is not held. */
  find(slot: number): number {
    if (slot === this.lastSlot) return this.lastPosition;
    const { cells, stride } = this;
    for (let p = this.end - 1; p >= this.start; p--) {
      if (cells[p * stride] !== slot) continue;
      this.lastSlot = slot;
      this.lastPosition = p;
      return p;
    }
    return -1;
  }

  /** Starts `slot` with zero counters, after the others; returns its position. */
  append(slot: number): number {
    const p = this.end++;
    const { cells, stride } = this;
    const at = p * stride;
    if (at < cells.length) {
      cells[at] = slot;
      for (let i = 1; i < stride; i++) cells[at + i] = 0;
    } else {
      cells.push(slot);
      for (let i = 1; i < stride; i++) cells.push(0);
    }
    if (slot < this.oldestBound) this.oldestBound = slot;
    this.lastSlot = slot;
    this.lastPosition = p;
    return p;
  }

  /** Starts `slot` with the counters read back from a checkpoint (missing ones as 0). */
  set(slot: number, counters: readonly number[]): number {
    const p = this.append(slot);
    const at = this.countersAt(p);
    for (let i = 0; i < Math.min(counters.length, this.fields); i++) this.cells[at + i] = counters[i]!;
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
    const { cells, stride } = this;
    for (let p = this.start; p < this.end; p++) {
      const slot = cells[p * stride]!;
      if (slot < first || slot > last || (activeField !== undefined && cells[p * stride + 1 + activeField]! <= 0)) continue;
      if (slot < lo) lo = slot;
      if (slot > hi) hi = slot;
    }
    return lo === Infinity ? { from, to } : { from: Math.max(from, lo * slotMs), to: Math.min(to, (hi + 1) * slotMs) };
  }

  /** How many slots from the first are before `keepFrom` (up to the first that is not). */
  leadingBefore(keepFrom: number): number {
    let n = 0;
    while (this.start + n < this.end && this.slotAt(this.start + n) < keepFrom) n++;
    return n;
  }

  /** Forgets the first `n` slots (positions change when the array is compacted: find them again). */
  dropFirst(n: number): void {
    if (n === 0) return;
    this.start += n;
    this.lastSlot = NaN;
    if (this.start >= this.size) this.compact();
  }

  /** Moves the slots held to the front of the array. */
  private compact(): void {
    const { cells, stride, start } = this;
    for (let i = start * stride; i < this.end * stride; i++) cells[i - start * stride] = cells[i]!;
    this.end -= start;
    this.start = 0;
  }

  /** Forgets every slot before `keepFrom`, wherever it is (`forget` is told each one's position first). */
  dropBefore(keepFrom: number): void {
    if (this.oldestBound >= keepFrom) return;
    const { cells, stride } = this;
    let kept = 0;
    let oldest = Infinity;
    for (let p = this.start; p < this.end; p++) {
      const slot = cells[p * stride]!;
      if (slot < keepFrom) {
        this.forget(p);
        continue;
      }
      if (kept !== p) for (let i = 0; i < stride; i++) cells[kept * stride + i] = cells[p * stride + i]!;
      if (slot < oldest) oldest = slot;
      kept++;
    }
    this.start = 0;
    this.end = kept;
    this.oldestBound = oldest;
    this.lastSlot = NaN;
  }

  /** Told the position of each slot `dropBefore` forgets, before it goes (a table that keeps totals takes it out of them). */
  protected forget(position: number): void {
    void position;
  }

  /** The first and last slot of `slotMs` inside [from, to) (both on slot boundaries). */
  static range(from: number, to: number, slotMs: number): [first: number, last: number] {
    return [Math.floor(from / slotMs), Math.ceil(to / slotMs) - 1];
  }
}
