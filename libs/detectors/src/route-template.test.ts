import { describe, expect, it } from 'vitest';
import { createRouteTemplater, deriveRoute, fits, isIdSegment, objectIdOf } from './route-template.js';

describe('deriveRoute', () => {
  it.each([
    ['/users/42/account', '/users/{id}/account'],
    ['/users/42', '/users/{id}'],
    ['/orders/550e8400-e29b-41d4-a716-446655440000/items/7', '/orders/{id}/items/{id}'],
    ['/files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b', '/files/{id}'],
    ['/sessions/eyJhbGciOiJIUzI1NiJ9x7Ab3', '/sessions/{id}'],
    ['/tokens/AbCdEfGh12345678', '/tokens/{id}'],
    ['/v2/products/1234', '/v2/products/{id}'],
    ['/api/v1.2/health', '/api/v1.2/health'],
    ['/search?q=42', '/search'],
    ['/users/42#frag', '/users/{id}'],
    ['/blog/how-to-build-apis-in-2024', '/blog/how-to-build-apis-in-2024'],
    ['/users/me/settings', '/users/me/settings'],
    ['/customers/jane.doe@example.com/orders', '/customers/{id}/orders'],
    ['/', '/'],
    ['users/42', '/users/{id}'],
    ['https://api.example.test/v1/charges/ch_3NjK2L8u1Xy9Zq', '/v1/charges/{id}'],
    ['/a%2Fb/17', '/a%2Fb/{id}'],
    ['/assets/logo.png', '/assets/logo.png'],
    ['/users/%E2%82%AC', '/users/%E2%82%AC'],
  ])('%s → %s', (path, route) => {
    expect(deriveRoute(path)).toBe(route);
  });

  it('keeps the words of a route and replaces only ids, for any mix', () => {
    expect(deriveRoute('/accounts/1/transactions/2/receipts/3')).toBe('/accounts/{id}/transactions/{id}/receipts/{id}');
  });

  it('bounds very long paths', () => {
    const route = deriveRoute(`/${Array.from({ length: 200 }, (_, i) => `seg${'x'.repeat(i % 7)}`).join('/')}`);
    expect(route.length).toBeLessThanOrEqual(512);
    expect(route.endsWith('/{rest}')).toBe(true);
  });

  it('survives malformed percent escapes', () => {
    expect(deriveRoute('/x/%E0%A4%A/42')).toBe('/x/%E0%A4%A/{id}');
  });
});

describe('createRouteTemplater', () => {
  it('judges the words of a shape once: a path differing only in numeric ids is answered without them', () => {
    const judged: string[] = [];
    const templater = createRouteTemplater((segment) => {
      judged.push(segment);
      return isIdSegment(segment);
    });
    expect(templater('/users/42/account')).toBe('/users/{id}/account');
    expect(judged).toEqual(['users', 'account']);
    expect(templater('/users/977/account')).toBe('/users/{id}/account');
    expect(templater('/users/3/account')).toBe('/users/{id}/account');
    expect(judged).toEqual(['users', 'account']);
    // Another shape, a query, a UUID: derived (and judged) each time.
    expect(templater('/users/42/settings')).toBe('/users/{id}/settings');
    expect(templater('/users/42/account?x=1')).toBe('/users/{id}/account');
    expect(templater('/orders/550e8400-e29b-41d4-a716-446655440000')).toBe('/orders/{id}');
    expect(templater('/orders/550e8400-e29b-41d4-a716-446655440001')).toBe('/orders/{id}');
    expect(judged.filter((s) => s === 'orders')).toHaveLength(2);
  });

  it('answers from its cache only a route that is the path with its digit runs as ids', () => {
    expect(fits('/users/{id}/account', '/users/42/account')).toBe(true);
    expect(fits('/', '/')).toBe(true);
    expect(fits('/users/{id}/', '/users/7/')).toBe(true);
    expect(fits('/users/{id}/account', '/users/4a/account')).toBe(false); // not a digit run
    expect(fits('/users/{id}/account', '/users/42/acount')).toBe(false); // another word
    expect(fits('/users/{id}/account', '/users/42/account/x')).toBe(false); // more segments
    expect(fits('/users/{id}/account/x', '/users/42/account')).toBe(false); // fewer
    expect(fits('/users/42/account', '/users/42/account')).toBe(false); // a digit run left as it is
    expect(fits('/users/{id}', '/users/')).toBe(false); // an empty segment is no id
    expect(fits(`/${'a/'.repeat(32)}a`, `/${'a/'.repeat(32)}a`)).toBe(false); // past the 32 segments a route keeps
  });

  it('keeps at most its limit of shapes', () => {
    const judged: string[] = [];
    const templater = createRouteTemplater((segment) => {
      judged.push(segment);
      return isIdSegment(segment);
    }, 2);
    for (const word of ['a', 'b', 'c']) templater(`/${word}/1`);
    templater('/a/2'); // the cache was cleared when the third shape came
    expect(judged).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('isIdSegment', () => {
  it.each([['123', true], ['v2', false], ['users', false], ['', false], ['DEADBEEFCAFE1234', true], ['abcdefabcdef', false], ['order-history', false]])('%j → %s', (segment, expected) => {
    expect(isIdSegment(segment)).toBe(expected);
  });
});

describe('objectIdOf', () => {
  it.each([
    ['/users/42/account', '/users/{id}/account', '42'],
    ['/users/42/orders/7', '/users/{id}/orders/{id}', '7'],
    ['/users/42/account', '/users/:userId/account', '42'],
    ['/users/42/account', '/users/{userId}/account', '42'],
    ['/health', '/health', undefined],
    ['/users/42/extra/segment', '/users/{id}', undefined],
  ])('%s on %s → %s', (path, route, id) => {
    expect(objectIdOf(path, route)).toBe(id);
  });
});
