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

  it('escapes every ASCII input as the per-character escape does, at any length', () => {
    const perChar = (s: string) => Array.from(s, (ch) => (/^[A-Za-z0-9._~@/-]$/.test(ch) ? ch : `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: next() % 80 }, () => String.fromCharCode(next() % 128)).join('');
      const escaped = perChar(text);
      if (escaped.length <= MAX_KEY_PART) expect(escapeKeyPart(text)).toBe(escaped);
      else expect(escapeKeyPart(text)).toMatch(/#[A-Za-z0-9_-]{16}$/);
    }
    expect(escapeKeyPart('i/users/{id}/account')).toBe('i/users/%7Bid%7D/account');
  });

  it('refuses a prefix that could break the key layout', () => {
    expect(() => createKeyspace('a:b')).toThrow(StateError);
    expect(() => createKeyspace('')).toThrow(StateError);
  });
});
