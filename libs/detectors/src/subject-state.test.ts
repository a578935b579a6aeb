import { describe, expect, it } from 'vitest';
import { addCapped, MAX_FENCES, SubjectState, SW } from './subject-state.js';

const MINUTE = 60_000;

describe('subject state', () => {
  const now = Date.UTC(2026, 10, 23, 12);

  function touched(): SubjectState {
    const s = new SubjectState();
    s.lastSeen = now - 1000;
    const w = s.window(7, now, 30 * MINUTE);
    w.c[SW.calls] = 3;
    w.c[SW.minute0 + 2] = 3;
    Object.assign(s.hour(99, now, 180 * MINUTE), { n: 5, bs: 1234 });
    addCapped(s.routeSet(7, now, 30 * MINUTE), 'i/users/{id}', 64);
    addCapped(s.loginPrincipalSet(7, now, 30 * MINUTE), 'victim "1"', 256);
    const o = s.objectWindow('i/users/{id} 12', now, 6 * MINUTE);
    o.ids.add('41').add('42');
    Object.assign(o, { n: 2, ok: 1, denied: 1 });
    return s;
  }

  it('reads back from its checkpoint what it held', () => {
    const s = touched();
    const back = SubjectState.fromCheckpoint(s.toCheckpoint(now));
    expect(back.lastSeen).toBe(now - 1000);
    expect(back.window(7, now, 30 * MINUTE).c).toEqual(s.windows.get(7)!.c);
    expect(back.hours.get(99)).toMatchObject({ n: 5, bs: 1234, expiresAt: now + 180 * MINUTE });
    expect([...back.routes.get(7)!.members]).toEqual(['i/users/{id}']);
    expect([...back.loginPrincipals.get(7)!.members]).toEqual(['victim "1"']);
    expect(back.objects.get('i/users/{id} 12')).toMatchObject({ n: 2, ok: 1, denied: 1, ids: new Set(['41', '42']) });
    expect(back.toCheckpoint(now)).toBe(s.toCheckpoint(now));
  });

  it('checkpoints the offsets it has counted each partition up to, at most MAX_FENCES partitions, and reads older checkpoints without them', () => {
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
    const { f: _fences, ...before } = JSON.parse(s.toCheckpoint(now)) as Record<string, unknown>;
    const older = SubjectState.fromCheckpoint(JSON.stringify(before));
    expect(older.fences.size).toBe(0);
    expect(older.hours.get(99)).toMatchObject({ n: 5, bs: 1234 });
  });

  it('writes a changed entry anew and an unchanged one as before', () => {
    const s = touched();
    const before = s.toCheckpoint(now);
    expect(s.toCheckpoint(now)).toBe(before);
    s.window(7, now, 30 * MINUTE).c[SW.calls]!++;
    expect(JSON.parse(s.toCheckpoint(now)).w[0][2][SW.calls]).toBe(4);
  });

  it('keeps an entry asked for again however far the watermark moved, and leaves expired entries out of its checkpoint', () => {
    const s = touched();
    // Another partition carried the watermark 4 hours on: the entries are still this subject's windows, counts and all.
    const later = now + 4 * 60 * MINUTE;
    expect(s.objectWindow('i/users/{id} 12', later, 6 * MINUTE)).toMatchObject({ n: 2, ids: new Set(['41', '42']), expiresAt: later + 6 * MINUTE });
    expect(s.window(7, later, 30 * MINUTE).c[SW.calls]).toBe(3);
    expect(s.hour(99, later, 180 * MINUTE)).toMatchObject({ n: 5, bs: 1234 });
    expect(JSON.parse(s.toCheckpoint(later)).o).toHaveLength(1);
    const fresh = touched();
    const past = now + 31 * MINUTE;
    const text = JSON.parse(fresh.toCheckpoint(past));
    expect(text.w).toEqual([]);
    expect(text.r).toEqual([]);
    expect(text.h).toHaveLength(1);
    expect(fresh.windows.size).toBe(0);
  });
});
