import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('backoff', () => {
  const opts = { initialMs: 1000, maxMs: 60_000, factor: 2 };
  it('grows exponentially up to its cap', () => {
    const top = (attempt: number) => backoffMs(attempt, opts, () => 1);
    expect([0, 1, 2, 3, 10].map(top)).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });
  it('jitters between a tenth of the ceiling and the ceiling', () => {
    expect(backoffMs(3, opts, () => 0)).toBe(800);
    const seen = new Set(Array.from({ length: 50 }, () => backoffMs(3, opts)));
    expect(seen.size).toBeGreaterThan(10);
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(800);
      expect(v).toBeLessThanOrEqual(8000);
    }
  });
});
