import { describe, expect, it } from 'vitest';
import { addMarked, WrittenMembers, type MemberMarks } from './written-members.js';

/** A batch's members of `key` added one by one (through `marks` when given): what the batch sends. */
function batch(w: WrittenMembers, key: string, hour: number, members: string[], marks?: MemberMarks): string[] {
  const b = w.batchOf(key, hour);
  for (const m of members) addMarked(b, m, marks);
  return b.members();
}

describe('WrittenMembers', () => {
  it('gives the members not written this hour, else the first of the batch', () => {
    const w = new WrittenMembers(100);
    expect(batch(w, 'k', 1, ['a', 'b', 'a'])).toEqual(['a', 'b']);
    expect(batch(w, 'k', 1, ['b', 'a'])).toEqual(['b']);
    expect(batch(w, 'k', 1, ['a', 'c', 'b'])).toEqual(['c']);
    expect(batch(w, 'k', 1, [])).toEqual([]);
    // Another key is its own.
    expect(batch(w, 'j', 1, ['a'])).toEqual(['a']);
    expect(w.written('k')).toBe(3);
    const b = w.batchOf('k', 1);
    b.add('d');
    b.add('a');
    expect(b.newMembers).toBe(1);
  });

  it('writes every member again in a new hour, after forget, and past its bound', () => {
    const w = new WrittenMembers(5);
    batch(w, 'k', 1, ['a', 'b']);
    expect(batch(w, 'k', 2, ['a', 'b'])).toEqual(['a', 'b']);
    w.forget();
    expect(batch(w, 'k', 2, ['a', 'b'])).toEqual(['a', 'b']);
    // 6 held (past 5): the next batch starts again.
    batch(w, 'j', 2, ['c', 'd', 'e', 'f']);
    expect(batch(w, 'k', 2, ['a'])).toEqual(['a']);
    expect(w.written('j')).toBe(0);
  });

  it('forgets a key found smaller than what was written to it (up to its cap)', () => {
    const w = new WrittenMembers(100);
    batch(w, 'k', 1, ['a', 'b', 'c']);
    w.check('k', 3, 10);
    expect(w.written('k')).toBe(3);
    // A full set holds its cap, whatever more was sent to it.
    w.check('k', 2, 2);
    expect(w.written('k')).toBe(3);
    w.check('k', 1, 10);
    expect(w.written('k')).toBe(0);
    expect(batch(w, 'k', 1, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  it("a caller's marks spare the lookups of members it added before, never one a set needs", () => {
    const w = new WrittenMembers(1_000);
    const marks: MemberMarks = [];
    expect(batch(w, 'k', 1, ['a', 'a'], marks)).toEqual(['a']);
    // Marked: nothing new, the first still sent.
    expect(batch(w, 'k', 1, ['a'], marks)).toEqual(['a']);
    expect(batch(w, 'k', 1, ['b', 'a'], marks)).toEqual(['b']);
    // Another key, with the same member: its own set.
    expect(batch(w, 'j', 1, ['a'], marks)).toEqual(['a']);
    // The set replaced (a new hour; a key found short): the marks no longer match.
    expect(batch(w, 'k', 2, ['a'], marks)).toEqual(['a']);
    w.check('k', 0, 10);
    expect(batch(w, 'k', 2, ['a'], marks)).toEqual(['a']);
    // More keys than the marks hold: each one still gets its member.
    const keys = Array.from({ length: 40 }, (_, i) => `key${i}`);
    for (const k of keys) expect(batch(w, k, 2, ['x'], marks)).toEqual(['x']);
    for (const k of keys) expect(w.written(k)).toBe(1);
    expect(marks.length).toBeLessThanOrEqual(32);
  });
});
