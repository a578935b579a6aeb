import { z } from 'zod';
import { MAX_EPOCH_MS, parseRfc3339 } from './timestamp.js';

/** Field builders shared by the three contracts, mirroring the JSON Schemas in schemas/json. */

export const text = (min: number, max: number) =>
  z.string({ invalid_type_error: 'expected a string' }).min(min, `must not be shorter than ${min} characters`).max(max, `must not be longer than ${max} characters`);

export const count = () =>
  z.number({ invalid_type_error: 'expected an integer' }).int('expected an integer').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER);

/** RFC 3339 string or epoch-ms integer in, epoch ms out. */
export const timestamp = () =>
  z
    .union([z.string(), z.number()], {
      errorMap: (issue, ctx) =>
        ctx.data === undefined ? { message: 'Required' } : { message: 'expected an RFC 3339 date-time string or epoch milliseconds' },
    })
    .transform((value, ctx) => {
      if (typeof value === 'number') {
        if (Number.isInteger(value) && value >= 0 && value <= MAX_EPOCH_MS) return value;
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'epoch milliseconds must be a non-negative integer' });
        return z.NEVER;
      }
      const ms = parseRfc3339(value);
      if (ms === undefined || ms < 0) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not an RFC 3339 date-time: ${JSON.stringify(value.slice(0, 40))}` });
        return z.NEVER;
      }
      return ms;
    });

/** An optional field: absent or null on the wire, absent in memory. */
export const optional = <T extends z.ZodTypeAny>(schema: T) => schema.nullish();

/** Drops keys whose value is null or undefined, so decoded objects hold only what was sent. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

export const stringMap = (maxEntries: number, maxValue: number) =>
  z
    .record(z.string(), text(0, maxValue))
    .refine((m) => Object.keys(m).length <= maxEntries, { message: `must not have more than ${maxEntries} entries` });

export const evidenceMap = () =>
  z
    .record(z.string(), z.union([z.number(), text(0, 1024)], { errorMap: () => ({ message: 'expected a number or a string' }) }))
    .refine((m) => Object.keys(m).length <= 64, { message: 'must not have more than 64 entries' });
