/**
 * How far each horizon's windows were judged (a subject's `short` and
 * `long`, a trail's `fast` and `slow`), in the order first set, as a
 * checkpoint lists them. Two keys in two short arrays: asked on every call
 * that ends a step, a scan of two entries is quicker than a Map's hashing.
 */
export class HorizonMarks {
  private readonly keys: string[] = [];
  private readonly values: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  get(key: string): number | undefined {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.values[i];
    return undefined;
  }

  set(key: string, value: number): this {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) continue;
      this.values[i] = value;
      return this;
    }
    keys.push(key);
    this.values.push(value);
    return this;
  }

  /** Each mark, in the order first set (a Map's `forEach`, which the checkpoint writer walks). */
  forEach<T>(each: (this: T, value: number, key: string) => void, thisArg: T): void {
    for (let i = 0; i < this.keys.length; i++) each.call(thisArg, this.values[i]!, this.keys[i]!);
  }
}
