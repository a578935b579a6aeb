import { describe, expect, it } from 'vitest';
import { StateError } from '@vigil/errors';
import { createKeyspace, escapeKeyPart, MAX_KEY_PART, unescapeKeyPart } from './keys.js';

describe('Redis keys', () => {
  const ks = createKeyspace('vigil');

  it('builds prefix:{slot}:parts with the slot as the hash tag', () => {
    expect(ks.key('accounts', 'baseline', '/users/{id}/account')).toBe('vigil:{accounts}:baseline:/users/%7Bid%7D/account');
  });

  it('escapes separators, braces, spaces and non-ASCII so untrusted input cannot forge a key', () => {
    expect(escapeKeyPart('a:b')).toBe('a%3Ab');
    expect(escapeKeyPart('}{x}')).toBe('%7D%7Bx%7D');
    expect(escapeKeyPart('ü ')).toBe('%C3%BC%20');
    expect(escapeKeyPart('100%')).toBe('100%25');
    expect(ks.key('a}:{b', 'x')).toBe('vigil:{a%7D%3A%7Bb}:x');
  });

  it('round-trips through unescape', () => {
    for (const s of ['/users/{id}', '2001:db8::1', 'Mozilla/5.0 (X11; Linux)', 'ü€😀', '%41']) {
      expect(unescapeKeyPart(escapeKeyPart(s))).toBe(s);
    }
  });

  it('bounds long parts, keeping distinct inputs distinct', () => {
    const a = escapeKeyPart('x'.repeat(10_000) + 'a');
    const b = escapeKeyPart('x'.repeat(10_000) + 'b');
    expect(a.length).toBeLessThanOrEqual(MAX_KEY_PART);
    expect(b.length).toBeLessThanOrEqual(MAX_KEY_PART);
    expect(a).not.toBe(b);
    const unicode = escapeKeyPart('€'.repeat(500));
    expect(unicode.length).toBeLessThanOrEqual(MAX_KEY_PART);
    expect(unicode).toMatch(/^(%E2%82%AC)+#[A-Za-z0-9_-]{16}$/);
  });

  it('refuses a prefix that could break the key layout', () => {
    expect(() => createKeyspace('a:b')).toThrow(StateError);
    expect(() => createKeyspace('')).toThrow(StateError);
  });
});
