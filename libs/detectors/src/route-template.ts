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
  return digitsBetween(segment, 0, segment.length);
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
 * are copied as runs of the path, not split and joined, and a segment is
 * cut out of the path only to be judged (decoded first when the path holds
 * a `%` escape).
 */
export function deriveRoute(path: string, isId: (segment: string) => boolean = isIdSegment): string {
  let p = path;
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  const schemeless = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(p);
  if (schemeless) p = p.slice(schemeless[0].length) || '/';
  const encoded = p.includes('%'); // without a %, decoding changes nothing
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
    if (end > start && (digitsBetween(p, start, end) || isId(encoded ? decoded(p.slice(start, end)) : p.slice(start, end)))) {
      route += `${p.slice(keptFrom, start)}{id}`;
      keptFrom = end;
    }
    if (slash < 0) break;
    start = slash + 1;
  }
  if (keptFrom >= 0) route += keptFrom === 0 ? p : p.slice(keptFrom);
  return bounded(route);
}

/**
 * `deriveRoute` with its templates remembered by the shape of the path:
 * its characters, with each run of digits between slashes standing as one
 * id. Most paths differ from others of their route only in numeric ids, so
 * a path whose shape was seen gets the same route string back, checked
 * against the path character by character, with nothing allocated; and
 * every event of a route shares one string (whose hash V8 then keeps).
 * Paths with a query, fragment, scheme or `%` escape, and routes with other
 * kinds of ids, are derived each time. At most `limit` shapes are kept.
 */
export function createRouteTemplater(isId: (segment: string) => boolean = isIdSegment, limit = 10_000): (path: string) => string {
  const byShape = new Map<number, string>();
  return (path) => {
    const shape = shapeOf(path);
    if (shape === undefined) return deriveRoute(path, isId);
    const known = byShape.get(shape);
    if (known !== undefined && fits(known, path)) return known;
    const route = deriveRoute(path, isId);
    if (fits(route, path)) {
      if (byShape.size >= limit) byShape.clear();
      byShape.set(shape, route);
    }
    return route;
  };
}

/** FNV-1a over a plain path (`/`-rooted; no `?`, `#`, `%`), each all-digit segment hashed as one marker; undefined for other paths. */
function shapeOf(path: string): number | undefined {
  if (path.length === 0 || path.length > MAX_ROUTE_LENGTH || path.charCodeAt(0) !== 47) return undefined;
  let h = 0x811c9dc5;
  let segmentStart = 1;
  let digitsOnly = true;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 47;
    if (c === 63 || c === 35 || c === 37) return undefined; // ? # %
    if (c === 47) {
      if (digitsOnly && i > segmentStart) h = Math.imul(h ^ 0x7b, 16777619); // the id marker
      else for (let k = segmentStart; k < i; k++) h = Math.imul(h ^ path.charCodeAt(k), 16777619);
      h = Math.imul(h ^ 47, 16777619);
      segmentStart = i + 1;
      digitsOnly = true;
    } else if (c < 48 || c > 57) digitsOnly = false;
  }
  return h;
}

/** True when `route` is `path` with its all-digit segments as `{id}` and every other segment as it is (at most MAX_SEGMENTS). */
export function fits(route: string, path: string): boolean {
  let r = 0;
  let p = 0;
  let segments = 0;
  for (;;) {
    if (++segments > MAX_SEGMENTS) return false;
    const rEnd = indexOrEnd(route, r);
    const pEnd = indexOrEnd(path, p);
    if (rEnd - r === 4 && route.startsWith('{id}', r)) {
      if (!digitsBetween(path, p, pEnd)) return false;
    } else {
      if (rEnd - r !== pEnd - p) return false;
      for (let k = 0; k < rEnd - r; k++) if (route.charCodeAt(r + k) !== path.charCodeAt(p + k)) return false;
      // A digit run kept as it is would have been an id: this route is not this path's.
      if (digitsBetween(path, p, pEnd)) return false;
    }
    const rDone = rEnd === route.length;
    const pDone = pEnd === path.length;
    if (rDone || pDone) return rDone && pDone;
    r = rEnd + 1;
    p = pEnd + 1;
  }
}

function indexOrEnd(text: string, from: number): number {
  const i = text.indexOf('/', from);
  return i < 0 ? text.length : i;
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
