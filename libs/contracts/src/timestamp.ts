/**
 * Timestamps on the wire: RFC 3339 strings (JSON) or epoch milliseconds
 * (JSON numbers, Avro timestamp-millis). In memory vigil always holds epoch ms.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Largest instant an ECMAScript Date can hold (year 275760). */
export const MAX_EPOCH_MS = 8.64e15;

const DIGIT_0 = 48;

/** The number written by the `count` ASCII digits at `at`, or -1 (time parsers read fields with it, without a regular expression). */
export function asciiDigits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The form vigil itself writes (`toISOString`: `2026-11-23T10:15:30.123Z`),
 * read without a regular expression or Date.parse; undefined when the text
 * is in any other form (the general parser then decides).
 */
function parseCanonical(text: string): number | undefined {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */ || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.') return undefined;
  const y = asciiDigits(text, 0, 4);
  const mo = asciiDigits(text, 5, 2);
  const d = asciiDigits(text, 8, 2);
  const h = asciiDigits(text, 11, 2);
  const mi = asciiDigits(text, 14, 2);
  const s = asciiDigits(text, 17, 2);
  const ms = asciiDigits(text, 20, 3);
  // Years before 100 (Date.UTC reads them as 19xx) and leap seconds take the general path.
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0) return undefined;
  if (d > 28 && d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** Parses an RFC 3339 date-time; returns epoch ms, or undefined when the text is not one. */
export function parseRfc3339(text: string): number | undefined {
  const canonical = parseCanonical(text);
  if (canonical !== undefined) return canonical;
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
