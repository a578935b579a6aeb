import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecencyMap } from './recency.js';

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
  it('keeps the same keys, times and order as a plain LRU map, whatever the calls (late sightings, repeats, caps, prunes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (cap, ops) => {
        const m = new RecencyMap(cap);
        const ref = new Reference(cap);
        for (const o of ops) {
          if ('touch' in o) {
            m.touch(o.touch, o.t);
            ref.touch(o.touch, o.t);
          } else {
            m.prune(o.prune);
            ref.prune(o.prune);
          }
          expect([...m.seen]).toEqual([...ref.seen]);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
