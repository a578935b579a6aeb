import { describe, expect, it } from 'vitest';
import { endToJudge, stepEnd, SUBJECT_HOPS, trailHops } from '../engine/hops.js';
import { HOUR, MINUTE } from '../units.js';
import { RecencyMap } from './recency.js';
import { SLOT, SlotSeries } from './slots.js';
import { boundedId, FAMILIAR_AFTER_MS, MAX_ID_LENGTH, ObjectTrail, TRAIL_IDS } from './trail.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('what a subject remembers for windows that slide', () => {
  it('RecencyMap: keys by their last sighting, the least recent forgotten first past its cap', () => {
    const m = new RecencyMap(3);
    m.touch('a', T0);
    m.touch('b', T0 + 1000);
    m.touch('a', T0 + 2000);
    m.touch('c', T0 + 3000);
    m.touch('b', T0 + 500); // a late, older sighting keeps the later time
    expect(m.keysIn(T0, T0 + 10_000, 10)).toEqual(['b', 'a', 'c']);
    m.touch('d', T0 + 4000);
    expect([...m.keys()]).toEqual(['a', 'c', 'd']);
    expect(m.countIn(T0 + 2000, T0 + 4000)).toBe(2); // [from, to)
    m.prune(T0 + 3000);
    expect([...m.keys()]).toEqual(['c', 'd']);
  });

  it('SlotSeries: sums any window of whole slots, its calls per slot, and where its calls start and end', () => {
    const s = new SlotSeries();
    s.addTo(T0 + 5_000, SLOT.calls, 2);
    s.addTo(T0 + 65_000, SLOT.calls, 3);
    s.addTo(T0 + 125_000, SLOT.calls, 4);
    expect(s.sum(T0, T0 + 2 * MINUTE)[SLOT.calls]).toBe(5);
    expect(s.sum(T0 + 60_000, T0 + 3 * MINUTE)[SLOT.calls]).toBe(7);
    expect(s.series(SLOT.calls, T0, T0 + MINUTE)).toEqual([2, 0, 0, 0, 0, 0]);
    expect(s.activeSpan(T0 + 30_000, T0 + 3 * MINUTE)).toEqual({ from: T0 + 60_000, to: T0 + 130_000 });
    expect(s.activeSpan(T0 + 10_000, T0 + 60_000)).toEqual({ from: T0 + 10_000, to: T0 + 60_000 }); // none: the window itself
    s.prune(T0 + 60_000);
    expect(s.sum(T0, T0 + 3 * MINUTE)[SLOT.calls]).toBe(7);
  });

  it('ObjectTrail: distinct ids in a window, calls by outcome, re-reads of ids it knew, and each past hour\'s distinct ids', () => {
    const t = new ObjectTrail();
    for (let i = 0; i < 10; i++) t.add(String(i), T0 + i * 1000, { ok: i % 2 === 0, denied: i % 2 === 1 }, true);
    expect(t.ids.countIn(T0, T0 + MINUTE)).toBe(10);
    expect(t.outcomesIn(T0, T0 + MINUTE)).toEqual([10, 5, 5, 0]);
    // The same ids again ten minutes later are familiar; again within seconds, not.
    for (let i = 0; i < 10; i++) t.add(String(i), T0 + 10 * MINUTE + i * 1000, { ok: true, denied: false }, true);
    t.add('0', T0 + 10 * MINUTE + FAMILIAR_AFTER_MS - 1000, { ok: true, denied: false }, true);
    expect(t.outcomesIn(T0 + 10 * MINUTE, T0 + 20 * MINUTE)).toEqual([11, 11, 0, 10]);
    expect(t.activeSpan(T0 + 5 * MINUTE, T0 + 20 * MINUTE)).toEqual({ from: T0 + 10 * MINUTE, to: T0 + 15 * MINUTE });
    // A new hour closes the last: its distinct ids are its own history, and what its peers are told.
    expect(t.add('x', T0 + HOUR, { ok: true, denied: false }, true)).toBe(10);
    expect(t.hoursBefore(Math.floor((T0 + HOUR) / HOUR))).toEqual([10]);
    // Bounded however many ids a scraper reads.
    for (let i = 0; i < TRAIL_IDS + 500; i++) t.add(`s-${i}`, T0 + HOUR + i, { ok: true, denied: false }, true);
    expect(t.ids.size).toBe(TRAIL_IDS);
    expect(ObjectTrail.fromRow(JSON.parse(JSON.stringify(t.toRow())) as unknown[]).toRow()).toEqual(t.toRow());
    // However long the ids an attacker sends: cut, and still distinct.
    const long = (k: number) => `${'x'.repeat(5000)}${k}`;
    expect(boundedId(long(1))).toHaveLength(MAX_ID_LENGTH);
    expect(boundedId(long(1))).not.toBe(boundedId(long(2)));
    expect(boundedId('42')).toBe('42');
    t.add(long(1), T0 + 2 * HOUR, { ok: true, denied: false }, true);
    expect(Math.max(...[...t.ids.keys()].map((k) => k.length))).toBeLessThanOrEqual(MAX_ID_LENGTH);
  });

  it('ObjectTrail: a quiet trail forgets its ids past the slow horizon as a new hour starts; a busy one keeps a day of them', () => {
    const quiet = new ObjectTrail();
    const busy = new ObjectTrail();
    const read = (t: ObjectTrail, id: string, at: number) => t.add(id, at, { ok: true, denied: false }, true, 30);
    // A few ids an hour: at the next hour, the ones read more than 35 minutes before are forgotten.
    for (let i = 0; i < 5; i++) read(quiet, `q${i}`, T0 + i * 10 * MINUTE);
    read(quiet, 'next', T0 + HOUR + 5 * MINUTE);
    expect([...quiet.ids.keys()]).toEqual(['q3', 'q4', 'next']);
    // An hour of 40 distinct ids (a job): tomorrow's re-read of them is still familiar.
    for (let i = 0; i < 40; i++) read(busy, `b${i}`, T0 + i * MINUTE);
    read(busy, 'next', T0 + HOUR + 5 * MINUTE);
    expect(busy.ids.size).toBe(41);
    read(busy, 'b0', T0 + 23 * HOUR);
    expect(busy.outcomesIn(T0 + 23 * HOUR, T0 + 23 * HOUR + MINUTE)).toEqual([1, 1, 0, 1]);
  });

  it('hops: a window is judged at the end of each step in which the subject called, before the call past it is counted', () => {
    const short = SUBJECT_HOPS.short;
    expect(stepEnd(T0 + 31_000, short.stepMs)).toBe(T0 + 60_000);
    // A call at 0:31, then one at 0:59 (same step): nothing to judge; then one at 1:05: the window ending 1:00.
    expect(endToJudge(short, T0 + 31_000, T0 + 59_000, undefined)).toBeUndefined();
    expect(endToJudge(short, T0 + 59_000, T0 + 65_000, undefined)).toBe(T0 + 60_000);
    expect(endToJudge(short, T0 + 59_000, T0 + 65_000, T0 + 60_000)).toBeUndefined(); // judged already
    expect(endToJudge(short, undefined, T0, undefined)).toBeUndefined();
    // An attack shorter than the window less a step lies whole in some judged window, wherever it starts.
    const fast = trailHops(120_000).fast;
    for (let start = T0; start < T0 + fast.windowMs; start += 1_000) {
      const end = stepEnd(start + 105_000, fast.stepMs);
      expect(end - fast.windowMs).toBeLessThanOrEqual(start);
    }
  });
});
