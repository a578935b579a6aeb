import { describe, expect, it } from 'vitest';
import { headerInt, pathOnly, rateLimitOf, routeTemplate } from './headers.js';
import { keyPaths, responseSignature } from './signature.js';

describe('response signature', () => {
  it('is the sorted key paths of the body, arrays as the union of their elements', () => {
    expect(keyPaths({ b: 1, a: { y: [1, 2], x: null }, items: [{ id: 1 }, { id: 2, price: 3 }] })).toEqual(['a', 'a.x', 'a.y', 'a.y[]', 'b', 'items', 'items[]', 'items[].id', 'items[].price']);
  });

  it('depends on the shape, never on values or key order', () => {
    const sig = responseSignature({ id: 1, owner: 'alice', balance: { amount: 5 } });
    expect(sig).toMatch(/^[0-9a-f]{16}$/);
    expect(responseSignature({ balance: { amount: 999 }, owner: 'mallory', id: 7 })).toBe(sig);
    expect(responseSignature({ id: 1, owner: 'alice', balance: { amount: 5, iban: 'x' } })).not.toBe(sig);
  });

  it('is undefined for a body that is not an object or array, and bounded for a deep or wide one', () => {
    expect(responseSignature('text')).toBeUndefined();
    expect(responseSignature(null)).toBeUndefined();
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) deep = { n: deep };
    expect(keyPaths(deep).length).toBe(9);
    const wide = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
    expect(keyPaths(wide).length).toBe(512);
  });
});

describe('headers, paths and routes', () => {
  it('reads the rate-limit headers providers send, under any of their names', () => {
    const headers: Record<string, string> = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999, 100;w=60' };
    expect(rateLimitOf((n) => headers[n])).toEqual({ rateLimitLimit: 5000, rateLimitRemaining: 4999 });
    expect(rateLimitOf((n) => ({ 'ratelimit-remaining': ['7'] })[n])).toEqual({ rateLimitRemaining: 7 });
    expect(rateLimitOf(() => undefined)).toEqual({});
  });

  it('parses integer headers and ignores junk', () => {
    expect([headerInt('12'), headerInt(12), headerInt('abc'), headerInt(-1), headerInt(undefined)]).toEqual([12, 12, undefined, undefined, undefined]);
  });

  it('drops query strings and turns :params into {params}', () => {
    expect(pathOnly('/users/1?token=secret#x')).toBe('/users/1');
    expect(pathOnly('?a=1')).toBe('/');
    expect(routeTemplate('/users/:id/account')).toBe('/users/{id}/account');
    expect(routeTemplate('/orgs/:org/repos/:repo(\\d+)?')).toBe('/orgs/{org}/repos/{repo}');
  });
});
