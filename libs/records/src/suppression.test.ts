import { describe, expect, it } from 'vitest';
import { confirmationId, confirmationSchema } from './confirmation.js';
import { covers, scopeOf, suppressionId, type Suppression } from './suppression.js';

const finding = { detector: 'bot' as const, api: 'accounts', route: '/users/{id}', subject: { kind: 'ip' as const, value: '203.0.113.9' } };
const make = (over: Partial<Suppression>): Suppression => ({
  id: 'sup-x',
  detector: 'bot',
  scope: scopeOf(finding, 'subject'),
  createdAt: 0,
  expiresAt: 1000,
  createdBy: 'alice',
  ...over,
});

describe('suppressions', () => {
  it('a subject scope covers that detector and subject only', () => {
    const s = make({});
    expect(covers(s, finding, 10)).toBe(true);
    expect(covers(s, { ...finding, subject: { kind: 'ip', value: '203.0.113.10' } }, 10)).toBe(false);
    expect(covers(s, { ...finding, subject: { kind: 'principal', value: '203.0.113.9' } }, 10)).toBe(false);
    expect(covers(s, { ...finding, detector: 'burst' }, 10)).toBe(false);
  });

  it('a route scope covers the api and route, or the whole api without a route', () => {
    const route = make({ scope: scopeOf(finding, 'route') });
    expect(covers(route, { ...finding, subject: { kind: 'ip', value: 'other' } }, 10)).toBe(true);
    expect(covers(route, { ...finding, route: '/orders/{id}' }, 10)).toBe(false);
    const api = make({ scope: { kind: 'route', api: 'accounts' } });
    expect(covers(api, { ...finding, route: '/orders/{id}' }, 10)).toBe(true);
    expect(covers(api, { ...finding, api: 'orders' }, 10)).toBe(false);
  });

  it('expires', () => {
    const s = make({ expiresAt: 100 });
    expect(covers(s, finding, 99)).toBe(true);
    expect(covers(s, finding, 100)).toBe(false);
  });

  it('ids are deterministic per detector and scope', () => {
    const a = suppressionId('bot', scopeOf(finding, 'subject'));
    expect(a).toBe(suppressionId('bot', scopeOf(finding, 'subject')));
    expect(a).not.toBe(suppressionId('bot', scopeOf(finding, 'route')));
    expect(a).not.toBe(suppressionId('burst', scopeOf(finding, 'subject')));
    expect(a).toMatch(/^sup-[A-Za-z0-9_-]{20}$/);
  });
});

describe('confirmations (true-positive verdicts)', () => {
  it('have a suppression\'s fields under ids of their own, deterministic per detector and scope, and cover alike', () => {
    const scope = scopeOf(finding, 'subject');
    const id = confirmationId('bot', scope);
    expect(id).toMatch(/^cnf-[A-Za-z0-9_-]{20}$/);
    expect(id).toBe(confirmationId('bot', scope));
    expect(id).not.toBe(confirmationId('burst', scope));
    expect(id.slice(4)).toBe(suppressionId('bot', scope).slice(4));
    const c = confirmationSchema.parse({ id, detector: 'bot', scope, createdAt: 0, expiresAt: 1000, createdBy: 'alice' });
    expect(covers(c, finding, 10)).toBe(true);
    expect(confirmationSchema.safeParse({ ...c, id: 'sup-x' }).success).toBe(false);
  });
});
