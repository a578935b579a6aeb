import { describe, expect, it } from 'vitest';
import { WrittenMembers } from './written-members.js';

const set = (...m: string[]) => new Set(m);

describe('WrittenMembers', () => {
  it('gives the members not written this hour, and the first of a batch whatever it is', () => {
    const w = new WrittenMembers(100);
    expect(w.unwritten('k', 1, set('a', 'b'))).toEqual(['a', 'b']);
    expect(w.unwritten('k', 1, set('b', 'a'))).toEqual(['b']);
    expect(w.unwritten('k', 1, set('a', 'c', 'b'))).toEqual(['a', 'c']);
    expect(w.unwritten('k', 1, set())).toEqual([]);
    // Another key is its own.
    expect(w.unwritten('j', 1, set('a'))).toEqual(['a']);
    expect(w.written('k')).toBe(3);
  });

  it('writes every member again in a new hour, after forget, and past its bound', () => {
    const w = new WrittenMembers(5);
    w.unwritten('k', 1, set('a', 'b'));
    expect(w.unwritten('k', 2, set('a', 'b'))).toEqual(['a', 'b']);
    w.forget();
    expect(w.unwritten('k', 2, set('a', 'b'))).toEqual(['a', 'b']);
    // 2 held, 4 more would pass 5: all forgotten first, these 4 held.
    expect(w.unwritten('j', 2, set('c', 'd', 'e', 'f'))).toEqual(['c', 'd', 'e', 'f']);
    expect(w.written('k')).toBe(0);
    expect(w.unwritten('k', 2, set('a'))).toEqual(['a']);
  });

  it('forgets a key found smaller than what was written to it (up to its cap)', () => {
    const w = new WrittenMembers(100);
    w.unwritten('k', 1, set('a', 'b', 'c'));
    w.check('k', 3, 10);
    expect(w.written('k')).toBe(3);
    // A full set holds its cap, whatever more was sent to it.
    w.check('k', 2, 2);
    expect(w.written('k')).toBe(3);
    w.check('k', 1, 10);
    expect(w.written('k')).toBe(0);
    expect(w.unwritten('k', 1, set('a', 'b', 'c'))).toEqual(['a', 'b', 'c']);
  });

  it('notes the members of a batch one by one: the new ones, else its first; an hour later, or past the bound, all again', () => {
    const w = new WrittenMembers(6);
    const batch = (key: string, hour: number, ...members: string[]) => {
      const b = w.batchOf(key, hour);
      for (const m of members) b.add(m);
      return b.members();
    };
    expect(batch('k', 1, 'a', 'b', 'a')).toEqual(['a', 'b']);
    expect(batch('k', 1, 'b', 'a')).toEqual(['b']);
    expect(batch('k', 1, 'a', 'c', 'b')).toEqual(['c']);
    expect(batch('k', 1)).toEqual([]);
    // The same memory as unwritten's.
    expect(w.unwritten('k', 1, set('d', 'c'))).toEqual(['d']);
    expect(batch('k', 2, 'a')).toEqual(['a']);
    // 7 held (past 6): the next batch starts again.
    batch('j', 2, 'u', 'v', 'w', 'x', 'y', 'z');
    expect(batch('k', 2, 'a')).toEqual(['a']);
    expect(w.written('j')).toBe(0);
  });
});
