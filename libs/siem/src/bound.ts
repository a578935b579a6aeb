/**
 * Strings that reach a SIEM come from traffic (paths, principals, user agents): they are carried as
 * data, never interpreted, and cut where a schema or vigil's own contracts set a length.
 */

/** vigil's contract limits (libs/contracts), applied again because a mapper may be handed an unchecked Finding. */
export const LIMITS = Object.freeze({
  id: 256,
  title: 200,
  description: 4000,
  /** Routes and subject values. */
  text: 8192,
  evidence: 1024,
  /** ECS keyword fields are not indexed past `ignore_above: 1024`. */
  keyword: 1024,
});

/** `s` cut to at most `max` UTF-16 code units, never between the two halves of a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = max > 0 && /[\uD800-\uDBFF]/.test(s[max - 1]!) ? max - 1 : max;
  return s.slice(0, end);
}

/** A clipper that remembers whether it cut anything, so the event can say it was truncated. */
export interface Bounds {
  text(s: string, max: number): string;
  readonly truncated: boolean;
}

export function createBounds(): Bounds {
  let truncated = false;
  return {
    text(s, max) {
      const out = clip(s, max);
      if (out.length !== s.length) truncated = true;
      return out;
    },
    get truncated() {
      return truncated;
    },
  };
}

/** An evidence value as JSON can hold it: a non-finite number becomes its text (JSON would turn it into null). */
export function jsonValue(v: number | string, bounds: Bounds): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return bounds.text(v, LIMITS.evidence);
}
