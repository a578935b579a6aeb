import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLOT, SLOT_FIELDS, SlotSeries } from './slots.js';
import { ObjectTrail } from './trail.js';

const SLOT_MS = 10;

/** The series as a Map of one counters array per slot (how it was kept before its flat table): what it must match. */
class Reference {
  readonly slots = new Map<number, number[]>();
  private newest = -Infinity;
  constructor(readonly keepSlots: number) {}

  count(t: number, bytes: number | undefined, gap: number | undefined): void {
    const slot = Math.floor(t / SLOT_MS);
    let c = this.slots.get(slot);
    if (!c) {
      this.slots.set(slot, (c = new Array<number>(SLOT_FIELDS).fill(0)));
      if (slot > this.newest) {
        this.newest = slot;
        for (const [s] of this.slots) {
          if (s >= slot - this.keepSlots) break;
          this.slots.delete(s);
        }
      }
    }
    c[SLOT.calls]!++;
    if (bytes !== undefined) {
      c[SLOT.bytes]! += bytes;
      c[SLOT.largestBytes] = Math.max(c[SLOT.largestBytes]!, bytes);
    }
    if (gap !== undefined) {
      c[SLOT.gaps]!++;
      c[SLOT.gapSumMs]! += gap;
      c[SLOT.gapSquareSum]! += Math.round((gap * gap) / 100);
    }
  }

  prune(before: number): void {
    for (const [s] of this.slots) if (s < Math.floor(before / SLOT_MS)) this.slots.delete(s);
  }

  calls(from: number, to: number): number {
    let n = 0;
    for (const [s, c] of this.slots) if (s >= Math.floor(from / SLOT_MS) && s <= Math.ceil(to / SLOT_MS) - 1) n += c[SLOT.calls]!;
    return n;
  }

  flat(): number[] {
    const out: number[] = [];
    for (const [s, c] of this.slots) {
      let end = c.length;
      while (end > 1 && c[end - 1] === 0) end--;
      out.push(s, end, ...c.slice(0, end));
    }
    return out;
  }
}

const op = fc.oneof(
  fc.record({ t: fc.integer({ min: 0, max: 400 }), bytes: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), gap: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }) }),
  fc.record({ prune: fc.integer({ min: 0, max: 400 }) }),
);

describe('SlotSeries', () => {
  it('holds, sums, forgets and writes the same slots in the same order as a map of slots, whatever the calls (late ones, gaps, prunes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (keepSlots, ops) => {
        const s = new SlotSeries(SLOT_MS, keepSlots * SLOT_MS);
        const ref = new Reference(keepSlots);
        for (const o of ops) {
          if ('prune' in o) {
            s.prune(o.prune);
            ref.prune(o.prune);
          } else {
            s.countCall(o.t, false, false, false, o.bytes, o.gap);
            ref.count(o.t, o.bytes, o.gap);
          }
          expect(s.toFlat()).toEqual(ref.flat());
          expect(s.heldCalls).toBe(ref.calls(-Infinity, Infinity));
          expect(s.sum(100, 300)[SLOT.calls]).toBe(ref.calls(100, 300));
        }
        expect(SlotSeries.fromFlat(s.toFlat(), SLOT_MS, 0, keepSlots * SLOT_MS).toFlat()).toEqual(ref.flat());
      }),
      { numRuns: 1000 },
    );
  });

  it("an object trail's calls by outcome: counted, summed and forgotten per 10-second slot, read back from its row", () => {
    const t = new ObjectTrail();
    const T0 = 1_800_000_000_000;
    for (let k = 0; k < 30; k++) t.add(`id${k % 7}`, T0 + k * 4_000, { ok: k % 3 !== 0, denied: k % 3 === 0 }, true);
    expect(t.outcomesIn(T0, T0 + 60_000)).toEqual([15, 10, 5, 0]);
    expect(t.callsIn(T0 + 20_000, T0 + 40_000)).toBe(5);
    t.prune(T0 + 120_000, T0 + 60_000);
    expect(t.callsIn(T0, T0 + 200_000)).toBe(15);
    expect(ObjectTrail.fromRow(t.toRow(T0), T0).outcomesIn(T0, T0 + 200_000)).toEqual(t.outcomesIn(T0, T0 + 200_000));
  });

  it("an object trail's calls held in all: every call counted, less the slots pruned, read back from its row; reaches agrees with the sum", () => {
    const T0 = 1_800_000_000_000;
    const trailOp = fc.oneof(fc.record({ t: fc.integer({ min: 0, max: 600_000 }), counts: fc.boolean() }), fc.record({ prune: fc.integer({ min: 0, max: 600_000 }) }));
    fc.assert(
      fc.property(fc.array(trailOp, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (ops, n) => {
        let trail = new ObjectTrail();
        for (const o of ops) {
          if ('prune' in o) trail.prune(T0 + o.prune, T0 + o.prune);
          else trail.add(`id${o.t % 5}`, T0 + o.t, { ok: true, denied: false }, o.counts);
          if (ops.indexOf(o) % 7 === 6) trail = ObjectTrail.fromRow(JSON.parse(JSON.stringify(trail.toRow(T0))) as unknown[], T0);
          expect(trail.outcomes.heldCalls).toBe(trail.callsIn(0, 2 * T0));
          expect(trail.reaches(T0 + 100_000, T0 + 400_000, n)).toBe(trail.callsIn(T0 + 100_000, T0 + 400_000) >= n);
        }
      }),
      { numRuns: 500 },
    );
  });
});
