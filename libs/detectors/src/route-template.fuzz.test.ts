import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveRoute, isIdSegment, objectIdOf } from './route-template.js';

const segment = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[0-9]{1,12}$/),
  fc.uuid(),
  fc.constantFrom('%', '%zz', '%2F', '..', '{id}', '\u0000', '\u202e', '🏴‍☠️', 'a'.repeat(5000)),
);
const path = fc.array(segment, { maxLength: 60 }).map((parts) => `/${parts.join('/')}`);

describe('the route templater under hostile paths', () => {
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
