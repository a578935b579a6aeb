import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonText } from './json-text.js';
import { HorizonMarks } from './marks.js';

describe('HorizonMarks', () => {
  it('holds what a Map holds after the same sets, and a checkpoint writes it the same, in the order first set', () => {
    const out = new JsonText();
    const sets = fc.array(fc.tuple(fc.constantFrom('short', 'long', 'fast', 'slow'), fc.integer({ min: 0, max: 2 ** 45 })), { maxLength: 12 });
    fc.assert(
      fc.property(sets, (pairs) => {
        const marks = new HorizonMarks();
        const map = new Map<string, number>();
        for (const [k, v] of pairs) {
          marks.set(k, v);
          map.set(k, v);
        }
        expect(marks.size).toBe(map.size);
        for (const k of ['short', 'long', 'fast', 'slow']) expect(marks.get(k)).toBe(map.get(k));
        out.start();
        out.entries(marks);
        expect(out.text()).toBe(JSON.stringify([...map]));
      }),
    );
  });
});
