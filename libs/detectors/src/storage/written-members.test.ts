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
});
