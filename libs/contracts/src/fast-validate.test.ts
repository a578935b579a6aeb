import { describe, expect, it } from 'vitest';
import { fastValidateTransaction } from './fast-validate.js';
import { fullTransaction } from './samples.fixture.js';
import { apiTransactionSchema } from './transaction.js';

/** zod's verdict: the parsed object, or undefined when it refuses. */
const zodVerdict = (v: unknown) => {
  const r = apiTransactionSchema.safeParse(v);
  return r.success ? r.data : undefined;
};

const base: Record<string, unknown> = fullTransaction;

/** Values that probe each field's edges: types, ranges, lengths, null, absence. */
const probes: unknown[] = [undefined, null, '', 'x', 'x'.repeat(65), 'x'.repeat(300), 'x'.repeat(9000), 0, -1, 1.5, 99, 100, 599, 600, 2 ** 53, 1e20, true, [], {}, { a: 'b' }, { a: 1 },
  'GET', 'get', 'GET /', 'inbound', 'outbound', 'sideways', 1763892930123, '2026-02-30T00:00:00Z', '2026-11-23 10:15:30Z', '2026-11-23T10:15:30', -0.0, Number.MAX_SAFE_INTEGER];

describe('fastValidateTransaction has the zod schema\'s verdicts', () => {
  it('on every field set to every probe value', () => {
    let compared = 0;
    for (const field of Object.keys(base)) {
      for (const probe of probes) {
        const sample: Record<string, unknown> = { ...base, [field]: probe };
        if (probe === undefined) delete sample[field];
        expect(fastValidateTransaction(sample), `${field} = ${JSON.stringify(probe)?.slice(0, 40)}`).toEqual(zodVerdict(sample));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('on random combinations of probes', () => {
    let seed = 42;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const fields = Object.keys(base);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const sample: Record<string, unknown> = { ...base };
      for (let k = 0; k < 1 + Math.floor(next() * 3); k++) {
        const field = fields[Math.floor(next() * fields.length)]!;
        const probe = probes[Math.floor(next() * probes.length)];
        if (probe === undefined) delete sample[field];
        else sample[field] = probe;
      }
      const z = zodVerdict(sample);
      if (z) accepted++;
      expect(fastValidateTransaction(sample)).toEqual(z);
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('on values that are not objects', () => {
    for (const v of [null, 1, 'x', [], [base]]) expect(fastValidateTransaction(v)).toBeUndefined();
  });
});
