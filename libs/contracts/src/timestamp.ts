/**
 * Timestamps on the wire: RFC 3339 strings (JSON) or epoch milliseconds
 * (JSON numbers, Avro timestamp-millis). In memory vigil always holds epoch ms.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Largest instant an ECMAScript Date can hold (year 275760). */
export const MAX_EPOCH_MS = 8.64e15;

/** Parses an RFC 3339 date-time; returns epoch ms, or undefined when the text is not one. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const normalised = text.replace(/[t ]/, 'T').replace(/z$/, 'Z').replace(/:60(\.\d+)?(?=[Z+-])/, ':59$1');
  const ms = Date.parse(normalised);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats epoch ms as an RFC 3339 UTC string with milliseconds. */
export function formatRfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
