/**
 * A checkpoint row built in one reused array, then copied out at its exact
 * length: a row grown by `push` is reallocated several times on its way to
 * its length, and those copies were most of a checkpoint's garbage. Rows
 * are built one at a time (`start`, `push`…, `take`), synchronously.
 */
export class FlatRow<T> {
  private readonly scratch: T[] = [];
  private n = 0;

  start(): this {
    this.n = 0;
    return this;
  }

  push(value: T): void {
    if (this.n < this.scratch.length) this.scratch[this.n] = value;
    else this.scratch.push(value);
    this.n++;
  }

  /** The row built since `start`. */
  take(): T[] {
    return this.scratch.slice(0, this.n);
  }
}
