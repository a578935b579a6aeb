import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonText } from './json-text.js';

/** Writes a list of numbers and strings as a checkpoint writes its flat rows. */
function written(out: JsonText, values: readonly (number | string)[]): string {
  out.start();
  out.char(91);
  values.forEach((v, i) => {
    if (i > 0) out.char(44);
    if (typeof v === 'string') out.str(v);
    else out.num(v);
  });
  out.char(93);
  return out.text();
}

/** Numbers a checkpoint holds: small counters and offsets, times since 1970, and whatever else a number can be. */
const anyNumber = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.integer({ min: 0, max: 2 ** 32 + 5 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(0, -0, 9, 10, 99, 100, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32), 1_795_420_944_789, 1_000_000_000_007, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity, 0.1, 1e21, 5e-324),
);

describe('JsonText', () => {
  const out = new JsonText();

  it('writes numbers and strings exactly as JSON.stringify does, whatever they hold', () => {
    const value = fc.oneof(
      anyNumber,
      fc.string({ unit: 'binary' }),
      fc.string(),
      fc.constantFrom('"', '\\', '\n', '\u0000', '\u007f', 'é', '\ud800', 'a\udc00b', '😀', '</script>'),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), (values) => {
        expect(written(out, values)).toBe(JSON.stringify(values));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a run of numbers from an array (the counters of a slot) as JSON.stringify writes them after a comma each', () => {
    fc.assert(
      fc.property(fc.array(anyNumber, { maxLength: 40 }), fc.nat(), fc.nat(), (cells, a, b) => {
        const at = cells.length === 0 ? 0 : a % cells.length;
        const count = cells.length === 0 ? 0 : b % (cells.length - at + 1);
        out.start();
        out.char(91);
        out.num(-1);
        out.commaNums(cells, at, count);
        out.char(93);
        expect(out.text()).toBe(JSON.stringify([-1, ...cells.slice(at, at + count)]));
      }),
      { numRuns: 2000 },
    );
    // Long numbers first, then the widest counters: the buffer grows as it goes, past the room made at the start.
    const wide = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? -Math.PI * (i + 1) : 2 ** 32 - 1));
    out.start();
    out.commaNums(wide, 0, wide.length);
    expect(out.text()).toBe(`,${wide.map((x) => JSON.stringify(x)).join(',')}`);
  });

  it('grows past its first buffer and starts afresh with each text', () => {
    const long = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? i * 7919 : `id-${i}-ü`));
    expect(written(out, long)).toBe(JSON.stringify(long));
    expect(written(out, [1, 'a'])).toBe('[1,"a"]');
  });

  it('writes a map flat, each key then its number shifted, as JSON.stringify writes the same list', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.integer({ min: -(2 ** 30), max: 2 ** 30 })), { maxLength: 20 }), fc.maxSafeInteger(), (pairs, shift) => {
        const map = new Map(pairs);
        out.start();
        out.flatKeys(map, shift);
        expect(out.text()).toBe(JSON.stringify([...map].flatMap(([k, v]) => [k, v + shift])));
      }),
    );
  });

  it('writes map entries as [key, number] rows, and anything else by JSON.stringify', () => {
    out.start();
    out.entries(
      new Map<string | number, number>([
        ['fast', 1_795_420_920_000],
        [498_728, 3],
      ]),
    );
    out.char(44);
    out.json({ a: ['é', null] });
    out.char(44);
    out.numOrNull(undefined);
    expect(out.text()).toBe('[["fast",1795420920000],[498728,3]],{"a":["é",null]},null');
  });
});
