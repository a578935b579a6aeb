/**
 * A bounded first-in first-out queue on a fixed array: O(1) push and take,
 * no allocation per item once full size is reached. The publisher's buffer.
 */
export class Ring<T> {
  readonly capacity: number;
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Appends at the back; false (and nothing stored) when full. */
  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return true;
  }

  /** Removes and returns the item at the front. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Removes up to `n` items from the front, oldest first. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.count > 0) out.push(this.shift()!);
    return out;
  }

  /**
   * Puts items back at the front, in their order, as far as there is room;
   * returns how many did not fit (the newest of them are the ones left out).
   */
  unshiftAll(items: readonly T[]): number {
    const fit = Math.min(items.length, this.capacity - this.count);
    for (let i = fit - 1; i >= 0; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = items[i];
      this.count++;
    }
    return items.length - fit;
  }
}
