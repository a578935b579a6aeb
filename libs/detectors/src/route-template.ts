/**
 * Route templates: when an event carries no `route`, vigil derives one from
 * its path by replacing the segments that are object ids with `{id}`:
 * numbers, UUIDs, long hex strings, and opaque tokens (long mixes of letters
 * and digits). Words, versions (`v2`) and short slugs stay.
 */

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^(?=.*\d)[0-9a-f]{12,}$/i;
const VERSION = /^v\d{1,3}(\.\d{1,3})?$/i;
const EMAILISH = /^[^@/]+@[^@/]+\.[a-z]{2,}$/i;
const MAX_SEGMENTS = 32;
const MAX_ROUTE_LENGTH = 512;

/** True when a path segment looks like an object id rather than part of the route. */
export function isIdSegment(segment: string): boolean {
  if (segment.length === 0) return false;
  if (NUMERIC.test(segment)) return true;
  if (UUID.test(segment)) return true;
  if (HEX.test(segment)) return true;
  if (VERSION.test(segment)) return false;
  if (EMAILISH.test(segment)) return true;
  return isOpaqueToken(segment);
}

/** Opaque tokens: 16+ characters of [A-Za-z0-9_-], with digits and letters mixed, or base64url-like. */
function isOpaqueToken(segment: string): boolean {
  if (segment.length < 16 || !/^[A-Za-z0-9_\-=.~]+$/.test(segment)) return false;
  const digits = (segment.match(/\d/g) ?? []).length;
  const letters = (segment.match(/[A-Za-z]/g) ?? []).length;
  if (digits === 0 || letters === 0) return digits > 0; // all digits handled above; all letters is a word-ish slug
  // Word-like slugs ("order-history-2024") have few digits and separators between words.
  const words = segment.split(/[-_.~]/).filter((w) => w.length > 0);
  const wordy = words.length > 1 && words.every((w) => /^[a-z]+$/i.test(w) || /^\d{1,4}$/.test(w));
  if (wordy) return false;
  return digits >= 2 || segment.length >= 24;
}

/** True for a non-empty run of ASCII digits: the commonest id, told without a regular expression. */
export function isDigits(segment: string): boolean {
  if (segment.length === 0) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** True when `text` holds only ASCII digits from `start` to `end` (not empty): an id, told without a substring. */
function digitsBetween(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * `/users/42/account` → `/users/{id}/account`. Query strings and fragments
 * are dropped; the result is bounded. `isId` judges each (URL-decoded)
 * segment; callers that see the same segments often pass a remembering one.
 * A run of digits is an id whatever `isId` says (as it is for `isIdSegment`).
 *
 * This runs for every event without a `route`: the segments the route keeps
 * are copied as runs of the path, not split and joined (a path without a
 * `%` escape; those take the decoding path below).
 */
export function deriveRoute(path: string, isId: (segment: string) => boolean = isIdSegment): string {
  let p = path;
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  const schemeless = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(p);
  if (schemeless) p = p.slice(schemeless[0].length) || '/';
  if (p.includes('%')) return deriveDecoded(p, isId);
  let route = '';
  let keptFrom = 0; // where the run of kept segments not yet added to the route starts
  let start = 0;
  for (let i = 0; ; i++) {
    if (i >= MAX_SEGMENTS) {
      route += `${p.slice(keptFrom, start - 1)}/{rest}`;
      keptFrom = -1;
      break;
    }
    const slash = p.indexOf('/', start);
    const end = slash < 0 ? p.length : slash;
    if (end > start && (digitsBetween(p, start, end) || isId(p.slice(start, end)))) {
      route += `${p.slice(keptFrom, start)}{id}`;
      keptFrom = end;
    }
    if (slash < 0) break;
    start = slash + 1;
  }
  if (keptFrom >= 0) route += keptFrom === 0 ? p : p.slice(keptFrom);
  return bounded(route);
}

/** The same template for a path with `%` escapes: each segment is judged decoded. */
function deriveDecoded(p: string, isId: (segment: string) => boolean): string {
  const segments = p.split('/');
  let route = '';
  for (let i = 0; i < segments.length; i++) {
    if (i >= MAX_SEGMENTS) {
      route += '/{rest}';
      break;
    }
    const raw = segments[i]!;
    route += `${i === 0 ? '' : '/'}${isId(decoded(raw)) ? '{id}' : raw}`;
  }
  return bounded(route);
}

function bounded(template: string): string {
  let route = template.startsWith('/') ? template : `/${template}`;
  if (route.length > MAX_ROUTE_LENGTH) route = `${route.slice(0, MAX_ROUTE_LENGTH - 7)}/{rest}`;
  return route;
}

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a stray % is not an id marker
  }
}

/** A route segment that stands for a parameter: `{id}`, `{userId}`, `:id` or `<id>`. */
function isParamSegment(segment: string): boolean {
  return /^\{[^}]*\}$/.test(segment) || /^:[A-Za-z_]\w*$/.test(segment) || /^<[^>]+>$/.test(segment);
}

/** Where a route keeps its object id: the index of its last parameter segment (-1: none) and its number of segments. */
export interface IdPosition {
  index: number;
  segments: number;
}

export function idPosition(route: string): IdPosition {
  const routeSegments = route.split('/');
  for (let i = routeSegments.length - 1; i >= 0; i--) if (isParamSegment(routeSegments[i]!)) return { index: i, segments: routeSegments.length };
  return { index: -1, segments: routeSegments.length };
}

/** The object id a path holds at `at` (a path with another number of segments holds none), cut to 128 characters. */
export function idAt(path: string, at: IdPosition): string | undefined {
  if (at.index < 0) return undefined;
  let end = path.search(/[?#]/);
  if (end < 0) end = path.length;
  let start = 0;
  let segment = 0;
  let candidate: string | undefined;
  for (;;) {
    const slash = path.indexOf('/', start);
    const stop = slash < 0 || slash > end ? end : slash;
    if (segment === at.index) candidate = path.slice(start, stop);
    segment++;
    if (stop === end) break;
    start = stop + 1;
  }
  if (segment !== at.segments) return undefined;
  return candidate ? candidate.slice(0, 128) : undefined;
}

/** The object id a path holds at the route's last parameter, for enumeration tracking. */
export function objectIdOf(path: string, route: string): string | undefined {
  return idAt(path, idPosition(route));
}
