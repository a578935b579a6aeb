import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRouteTemplater, deriveRoute, isDigits, isIdSegment, objectIdOf } from './route-template.js';

const segment = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[0-9]{1,12}$/),
  fc.uuid(),
  fc.constantFrom('%', '%zz', '%2F', '..', '{id}', '\u0000', '\u202e', '🏴‍☠️', 'a'.repeat(5000)),
);
const path = fc.array(segment, { maxLength: 60 }).map((parts) => `/${parts.join('/')}`);

/** The templater as first written (split, judge each decoded segment, join): what the allocation-lean one must equal. */
function referenceRoute(path: string, isId: (segment: string) => boolean): string {
  let p = path;
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  const schemeless = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(p);
  if (schemeless) p = p.slice(schemeless[0].length) || '/';
  const segments = p.split('/');
  const encoded = p.includes('%');
  const decode = (raw: string) => {
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  let route = '';
  for (let i = 0; i < segments.length; i++) {
    if (i >= 32) {
      route += '/{rest}';
      break;
    }
    const raw = segments[i]!;
    route += `${i === 0 ? '' : '/'}${isId(encoded ? decode(raw) : raw) ? '{id}' : raw}`;
  }
  if (!route.startsWith('/')) route = `/${route}`;
  if (route.length > 512) route = `${route.slice(0, 505)}/{rest}`;
  return route;
}

describe('the route templater under hostile paths', () => {
  it('gives the reference template for any path, with or without a remembering judge of segments', () => {
    const plain = fc.stringMatching(/^[a-z0-9._~-]{0,20}$/);
    const pathLike = fc.oneof(
      path,
      fc.array(fc.oneof(plain, fc.stringMatching(/^[0-9]{1,12}$/), fc.uuid()), { maxLength: 12 }).map((parts) => `/${parts.join('/')}`),
      // Around the 32 segments a route keeps: the cut, and what comes before it.
      fc.array(fc.oneof(fc.stringMatching(/^[a-z]{0,3}$/), fc.stringMatching(/^[0-9]{1,3}$/)), { minLength: 29, maxLength: 36 }).map((parts) => `/${parts.join('/')}`),
      fc.array(plain, { maxLength: 12 }).map((parts) => parts.join('/')),
    );
    const prefix = fc.constantFrom('', 'https://api.example.test', 'http://h:8080', 'x:');
    const suffix = fc.constantFrom('', '?q=1', '#f', '?a=/1/2#x', '/');
    const remembering = (segment: string) => isDigits(segment) || isIdSegment(segment);
    fc.assert(
      fc.property(prefix, pathLike, suffix, (pre, p, post) => {
        const full = `${pre}${p}${post}`;
        expect(deriveRoute(full)).toBe(referenceRoute(full, isIdSegment));
        expect(deriveRoute(full, remembering)).toBe(referenceRoute(full, remembering));
      }),
      { numRuns: 5000 },
    );
  });


  it('the remembering templater gives what deriveRoute gives, path after path, through one cache', () => {
    // Few words and short numbers: shapes repeat, so most paths are answered from the cache.
    const word = fc.constantFrom('users', 'orders', 'items', 'v1', 'me', '', '{id}', '12ab', 'x'.repeat(40), 'é');
    const part = fc.oneof(word, fc.stringMatching(/^[0-9]{1,6}$/), fc.uuid());
    const pathOf = fc.oneof(
      fc.array(part, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
      fc.array(fc.oneof(word, fc.stringMatching(/^[0-9]{1,2}$/)), { minLength: 30, maxLength: 34 }).map((parts) => `/${parts.join('/')}`),
      path,
    );
    const templater = createRouteTemplater(isIdSegment, 50);
    fc.assert(
      fc.property(fc.array(pathOf, { minLength: 1, maxLength: 20 }), (paths) => {
        for (const p of paths) expect(templater(p)).toBe(deriveRoute(p));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws, stays bounded, and is stable: a template templates to itself', () => {
    fc.assert(
      fc.property(path, fc.string({ maxLength: 50 }), (p, query) => {
        const route = deriveRoute(`${p}?${query}`);
        expect(route.length).toBeLessThanOrEqual(512);
        expect(route.startsWith('/')).toBe(true);
        expect(route).not.toContain('?');
        expect(deriveRoute(route)).toBe(route);
        objectIdOf(p, route);
      }),
      { numRuns: 2000 },
    );
  });

  it('numbers and UUIDs are always ids, whatever surrounds them', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,10}$/), fc.oneof(fc.stringMatching(/^[0-9]{1,12}$/), fc.uuid()), (word, id) => {
        expect(isIdSegment(id)).toBe(true);
        expect(deriveRoute(`/${word}/${id}/x`)).toBe(`/${word}/{id}/x`);
      }),
      { numRuns: 500 },
    );
  });

  it('a very long path is cut quickly', () => {
    const started = Date.now();
    const route = deriveRoute(`/${'a/'.repeat(200_000)}`);
    expect(route.length).toBeLessThanOrEqual(512);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
