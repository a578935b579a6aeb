import { describe, expect, it } from 'vitest';
import { Ring } from './ring.js';

describe('Ring', () => {
  it('is first in, first out, and refuses pushes when full', () => {
    const r = new Ring<number>(3);
    expect([r.push(1), r.push(2), r.push(3), r.push(4)]).toEqual([true, true, true, false]);
    expect(r.full).toBe(true);
    expect(r.take(2)).toEqual([1, 2]);
    expect(r.push(5)).toBe(true);
    expect(r.take(10)).toEqual([3, 5]);
    expect(r.size).toBe(0);
    expect(r.shift()).toBeUndefined();
  });

  it('puts a batch back at the front in order, as far as there is room', () => {
    const r = new Ring<number>(4);
    for (const n of [1, 2, 3, 4]) r.push(n);
    const batch = r.take(3);
    r.push(5);
    expect(r.unshiftAll(batch)).toBe(1);
    expect(r.take(4)).toEqual([1, 2, 4, 5]); // the newest of the batch (3) did not fit
    expect(r.unshiftAll([7, 8])).toBe(0);
    expect(r.take(4)).toEqual([7, 8]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});
