import { describe, expect, it } from 'vitest';
import { MAX_FENCES, MAX_TRAILS, SubjectState } from './subject-state.js';
import { SLOT, SLOT_FIELDS } from './subject/slots.js';
import { boundedId } from './subject/trail.js';
import { defaultUsualSettings } from './subject/usual.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('subject state', () => {
  const now = Date.UTC(2026, 10, 23, 12);

  /** A state with something in every part: slots, blocks, hours, recent sets, a trail, an episode, a usual history. */
  function touched(): SubjectState {
    const s = new SubjectState();
    s.lastSeen = now - 1000;
    s.slots.addTo(now - 1000, SLOT.calls, 3);
    s.blocks.addTo(now - 1000, SLOT.calls, 3);
    Object.assign(s.hour(Math.floor(now / HOUR), now, 3 * HOUR), { n: 5, bs: 1234 });
    // An hour no window reads any more (a window reads the hour it starts in and the one before): not kept.
    s.hour(Math.floor(now / HOUR) - 4, now, 3 * HOUR).n = 2;
    s.routes.touch('i/users/{id}', now - 1000);
    s.touchLoginPrincipal('victim "1"', now - 2000);
    s.ips.touch('203.0.113.7', now - 1000);
    const trail = s.trail('i/users/{id}');
    trail.add('41', now - 3000, { ok: true, denied: false }, true);
    trail.add('42', now - 2000, { ok: false, denied: true }, true);
    s.judgedUpTo.set('short', now - 30_000);
    s.setEpisode('bot|', { start: now - 10 * MINUTE, lastEnd: now - 1000, magnitude: 150, verdict: { usual: true, recurrences: 2, learned: 140, typical: 150, rhythm: 'hourly', change: undefined }, severity: 'low' });
    s.usualOf('bot|').remember({ start: now - 10 * MINUTE, magnitude: 150, ips: ['203.0.113.7'] }, defaultUsualSettings);
    return s;
  }

  it('reads back from its checkpoint what it held', () => {
    const s = touched();
    const back = SubjectState.fromCheckpoint(s.toCheckpoint(now));
    expect(back.lastSeen).toBe(now - 1000);
    expect(back.slots.sum(now - 5 * MINUTE, now)[SLOT.calls]).toBe(3);
    expect(back.blocks.sum(now - HOUR, now)[SLOT.calls]).toBe(3);
    expect([...back.hours.keys()]).toEqual([Math.floor(now / HOUR)]);
    expect(back.hours.get(Math.floor(now / HOUR))).toMatchObject({ n: 5, bs: 1234, expiresAt: now + 3 * HOUR });
    expect([...back.routes.keys()]).toEqual(['i/users/{id}']);
    expect([...back.loginPrincipals.keys()]).toEqual(['victim "1"']);
    expect([...back.ips.keys()]).toEqual(['203.0.113.7']);
    const trail = back.trailOn('i/users/{id}')!;
    expect(trail.ids.keysIn(now - MINUTE, now, 10)).toEqual(['41', '42']);
    expect(trail.outcomesIn(now - MINUTE, now)).toEqual([2, 1, 1, 0]);
    expect(back.judgedUpTo.get('short')).toBe(now - 30_000);
    // The verdict its history gave it when it started: a restart must not judge it again against a history that learned it since.
    expect(back.episodes.get('bot|')).toEqual({ start: now - 10 * MINUTE, lastEnd: now - 1000, magnitude: 150, verdict: { usual: true, recurrences: 2, learned: 140, typical: 150, rhythm: 'hourly', change: undefined }, severity: 'low' });
    expect(back.toCheckpoint(now)).toBe(s.toCheckpoint(now));
    // Its business-as-usual is kept apart, in its memory, which outlives the checkpoint.
    expect(back.usual.size).toBe(0);
    back.readMemory(s.toMemory());
    expect(back.usual.get('bot|')!.episodes).toEqual([{ start: now - 10 * MINUTE, magnitude: 150, ips: ['203.0.113.7'] }]);
    expect(back.toMemory()).toBe(s.toMemory());
  });

  it('keeps a trail for the MAX_TRAILS routes used most recently, in that order through its checkpoint', () => {
    const s = new SubjectState();
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    const route = (r: number) => `i/r${r}/{id}`;
    for (let r = 0; r < MAX_TRAILS; r++) s.trail(route(r)).add(`${r}`, now + r, { ok: true, denied: false }, true);
    s.trail(route(0)).add('again', now + 100, { ok: true, denied: false }, true);
    s.trail(route(MAX_TRAILS)).add('new', now + 200, { ok: true, denied: false }, true);
    s.lastSeen = now + 200;
    const order = (state: SubjectState) => (JSON.parse(state.toCheckpoint(now + 200)) as { t: [string, unknown][] }).t.map(([key]) => key);
    const expected = [...Array.from({ length: MAX_TRAILS - 2 }, (_, i) => route(i + 2)), route(0), route(MAX_TRAILS)];
    expect(s.trailOn(route(1))).toBeUndefined();
    expect(order(s)).toEqual(expected);
    expect(order(SubjectState.fromCheckpoint(s.toCheckpoint(now + 200)))).toEqual(expected);
  });

  it('checkpoints the offsets it has counted each partition up to, at most MAX_FENCES partitions', () => {
    const s = touched();
    s.fence('transactions/3', 41);
    s.fence('transactions/3', 97);
    s.fence('transactions/"5"', 12);
    const back = SubjectState.fromCheckpoint(s.toCheckpoint(now));
    expect([...back.fences]).toEqual([['transactions/3', 97], ['transactions/"5"', 12]]);
    for (let p = 0; p < MAX_FENCES + 10; p++) back.fence(`other/${p}`, p);
    expect(back.fences.size).toBe(MAX_FENCES);
    expect(back.fences.get('transactions/3')).toBeUndefined();
    expect(back.fences.get(`other/${MAX_FENCES + 9}`)).toBe(MAX_FENCES + 9);
  });

  it('reads a checkpoint of the older format (clock-aligned windows) for its hours and fences only', () => {
    const older = JSON.stringify({ l: now - 1000, f: [['transactions/3', 97]], h: [[99, now + HOUR, 5, 1234]], w: [[7, now + 30 * MINUTE, [3]]], o: [] });
    const back = SubjectState.fromCheckpoint(older);
    expect(back.lastSeen).toBe(now - 1000);
    expect([...back.fences]).toEqual([['transactions/3', 97]]);
    expect(back.hours.get(99)).toMatchObject({ n: 5, bs: 1234 });
    expect(back.slots.size).toBe(0);
    expect(back.trailCount).toBe(0);
  });

  it('reads a checkpoint whose slots, recent sets and trails are rows of absolute times (written before they were flat offsets)', () => {
    const rows = JSON.stringify({
      v: 2,
      l: now - 1000,
      f: [],
      h: [[99, now + HOUR, 5, 1234]],
      s: [[Math.floor((now - 1000) / 10_000), [3]]],
      b: [[Math.floor((now - 1000) / (5 * MINUTE)), [3, 10]]],
      r: [['i/users/{id}', now - 1000]],
      p: [],
      i: [['203.0.113.7', now - 1000]],
      t: [['i/users/{id}', [[['41', now - 3000], ['42', now - 2000]], [[Math.floor((now - 3000) / 10_000), [2, 1, 1, 0]]], [], 99, [], now - 2000]]],
      j: [],
      e: [],
    });
    const back = SubjectState.fromCheckpoint(rows);
    expect(back.toCheckpoint(now)).toBe(touchedAs(back).toCheckpoint(now));
    expect(back.slots.sum(now - 5 * MINUTE, now)[SLOT.calls]).toBe(3);
    expect(back.blocks.sum(now - HOUR, now)[SLOT.bytes]).toBe(10);
    expect([...back.routes.entries()]).toEqual([['i/users/{id}', now - 1000]]);
    expect(back.trailOn('i/users/{id}')!.ids.keysIn(now - MINUTE, now, 10)).toEqual(['41', '42']);
    expect(back.trailOn('i/users/{id}')!.outcomesIn(now - MINUTE, now)).toEqual([2, 1, 1, 0]);
  });

  /** The state read back from its own checkpoint: the same checkpoint again. */
  function touchedAs(s: SubjectState): SubjectState {
    return SubjectState.fromCheckpoint(s.toCheckpoint(now));
  }

  it('forgets slots no window reaches as new ones start, without waiting for a checkpoint', () => {
    const s = new SubjectState();
    for (let t = now - HOUR; t < now; t += 10_000) s.slots.addTo(t, SLOT.calls, 1);
    // The short windows reach 6 minutes back: 36 slots of 10 s and the one being filled.
    expect(s.slots.size).toBe(37);
    // What it holds bounds any window's calls (the engine's first, cheap gate): forgotten slots are taken off it.
    expect(s.slots.heldCalls).toBe(37);
    expect(s.slots.sum(now - 5 * MINUTE, now)[SLOT.calls]).toBe(30);
    // A late call starts an older slot: it is kept, and counted in the windows it falls in.
    s.slots.addTo(now - 7 * MINUTE, SLOT.calls, 1);
    expect(s.slots.sum(now - 8 * MINUTE, now)[SLOT.calls]).toBe(38);
    // Read back from a checkpoint (which keeps the last 6 minutes), it holds and bounds the same.
    expect(SubjectState.fromCheckpoint(s.toCheckpoint(now)).slots.heldCalls).toBe(36);
  });

  it('counts an hour again from nothing once pruning forgot it (the hour of the call before is not held past it)', () => {
    const s = new SubjectState();
    const h = Math.floor(now / HOUR);
    s.hour(h, now, HOUR).n += 4;
    expect(s.hours.get(h)!.n).toBe(4);
    s.prune(now + 2 * HOUR);
    expect(s.hours.has(h)).toBe(false);
    s.hour(h, now + 2 * HOUR, HOUR).n++;
    expect(s.hours.get(h)!.n).toBe(1);
  });

  it('writes what changed', () => {
    const s = touched();
    const before = s.toCheckpoint(now);
    expect(s.toCheckpoint(now)).toBe(before);
    s.slots.addTo(now - 1000, SLOT.calls, 1);
    expect(s.toCheckpoint(now)).not.toBe(before);
    expect(SubjectState.fromCheckpoint(s.toCheckpoint(now)).slots.sum(now - MINUTE, now)[SLOT.calls]).toBe(4);
  });

  it('keeps what its windows reach relative to its own latest call, however far the watermark moved', () => {
    const s = touched();
    // Another partition carried the watermark 4 hours on: the subject's recent calls are still its windows.
    const later = now + 4 * HOUR;
    const back = SubjectState.fromCheckpoint(s.toCheckpoint(later));
    expect(back.slots.sum(now - 5 * MINUTE, now)[SLOT.calls]).toBe(3);
    expect(back.trailOn('i/users/{id}')!.outcomesIn(now - MINUTE, now)).toEqual([2, 1, 1, 0]);
    // Hours expire by the watermark (their TTL); the subject's own later calls move what its windows reach.
    expect(back.hours.size).toBe(0);
    s.lastSeen = now + 40 * MINUTE;
    const moved = SubjectState.fromCheckpoint(s.toCheckpoint(now + 40 * MINUTE));
    expect(moved.slots.size).toBe(0);
    expect(moved.blocks.size).toBe(1);
    expect(moved.trailOn('i/users/{id}')!.outcomesIn(now - MINUTE, now)).toEqual([0, 0, 0, 0]);
    expect(moved.trailOn('i/users/{id}')!.ids.size).toBe(2);
  });
});

describe('a subject\'s state, filled to every cap', () => {
  it('stays bounded however an attacker calls: under 320 KB of checkpoint and memory', () => {
    const now = Date.UTC(2026, 10, 23, 12);
    const long = (k: string) => `${k}-${'x'.repeat(3000)}`;
    const s = new SubjectState();
    s.lastSeen = now;
    for (let t = now - 6 * MINUTE; t < now; t += 10_000) for (let f = 0; f < SLOT_FIELDS; f++) s.slots.addTo(t, f, 1e9);
    for (let t = now - HOUR; t < now; t += 5 * MINUTE) for (let f = 0; f < SLOT_FIELDS; f++) s.blocks.addTo(t, f, 1e9);
    for (let h = 0; h < 3; h++) Object.assign(s.hour(Math.floor(now / HOUR) - h, now, 3 * HOUR), { n: 1e9, bs: 1e12 });
    for (let i = 0; i < 1000; i++) {
      s.routes.touch(boundedId(long(`r${i}`)), now - i);
      s.touchLoginPrincipal(boundedId(long(`p${i}`)), now - i);
      s.ips.touch(`2001:db8::${i}`, now - i);
    }
    for (let r = 0; r < 20; r++) {
      const trail = s.trail(boundedId(long(`route${r}`)));
      for (let i = 0; i < 2000; i++) trail.add(long(`${r}-${i}`), now - 30 * MINUTE + i * 900, { ok: true, denied: false }, true);
    }
    for (let k = 0; k < 40; k++) {
      s.setEpisode(boundedId(long(`bola_enumeration|${k}`)), { start: now - HOUR, lastEnd: now, magnitude: 1e6, verdict: { usual: false, recurrences: 99, learned: 1e6, typical: 1e6, rhythm: 'hourly', change: 'x'.repeat(200) } });
      const usual = s.usualOf(boundedId(long(`bola_enumeration|${k}`)));
      for (let e = 0; e < 100; e++) usual.remember({ start: now - 2 * DAY + e * HOUR, magnitude: 1e6, ips: ['2001:db8::1', '2001:db8::2', '2001:db8::3', '2001:db8::4'], deniedShare: 0.5, newShare: 0.5 }, defaultUsualSettings);
    }
    for (let p = 0; p < 100; p++) s.fence(`transactions-with-a-long-name/${p}`, 1e12);
    const bytes = Buffer.byteLength(s.toCheckpoint(now)) + Buffer.byteLength(s.toMemory());
    expect(s.trailCount).toBe(MAX_TRAILS);
    expect(bytes).toBeLessThan(320 * 1024);
  });
});
