import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecencyMap } from './recency.js';
import { RecentKeys } from './recent-keys.js';

/** The plain LRU RecencyMap keeps (no shortcuts): what its keys, times and order must be after any sequence of calls. */
class Reference {
  readonly seen = new Map<string, number>();
  constructor(readonly cap: number) {}

  touch(key: string, t: number): void {
    const last = this.seen.get(key);
    if (last !== undefined && t <= last) return;
    if (last !== undefined) this.seen.delete(key);
    else if (this.seen.size >= this.cap) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, t);
  }

  prune(before: number): void {
    for (const [key, t] of this.seen) {
      if (t >= before) break;
      this.seen.delete(key);
    }
  }
}

const op = fc.oneof(
  fc.record({ touch: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), t: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ prune: fc.integer({ min: 0, max: 100 }) }),
);

describe('RecencyMap', () => {
  // Times a day apart and more (scale 2^26 ms) move the origin its offsets count from.
  it.each([
    ['RecencyMap', 1],
    ['RecencyMap', 2 ** 26],
    ['RecentKeys', 1],
    ['RecentKeys', 2 ** 26],
  ] as const)('%s keeps the same keys, times and order as a plain LRU map, whatever the calls (late sightings, repeats, caps, prunes; times %i ms apart)', (kind, scale) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (cap, ops) => {
        const m = kind === 'RecencyMap' ? new RecencyMap(cap) : new RecentKeys(cap);
        const ref = new Reference(cap);
        for (const o of ops) {
          if ('touch' in o) {
            const before = ref.seen.get(o.touch);
            expect(m.touch(o.touch, 1_800_000_000_000 + o.t * scale)).toBe(before);
            ref.touch(o.touch, 1_800_000_000_000 + o.t * scale);
          } else {
            m.prune(1_800_000_000_000 + o.prune * scale);
            ref.prune(1_800_000_000_000 + o.prune * scale);
          }
          expect(m.countIn(1_800_000_000_000 + 20 * scale, 1_800_000_000_000 + 70 * scale)).toBe([...ref.seen.values()].filter((t) => t >= 1_800_000_000_000 + 20 * scale && t < 1_800_000_000_000 + 70 * scale).length);
          expect([...m.entries()]).toEqual([...ref.seen]);
        }
        // Written for a checkpoint and read back: the same keys, times and order.
        const base = 1_800_000_000_000 + 50 * scale;
        const back = kind === 'RecencyMap' ? RecencyMap.fromFlat(cap, m.toFlat(base), base) : RecentKeys.fromFlat(cap, m.toFlat(base), base);
        expect([...back.entries()]).toEqual([...ref.seen]);
      }),
      { numRuns: 2000 },
    );
  });
});
