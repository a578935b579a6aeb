import { describe, expect, it } from 'vitest';
import { tokenMatches } from './api.js';

describe('the API token check', () => {
  const token = 'a-long-enough-token-0123456789';
  it('accepts only the exact bearer token', () => {
    expect(tokenMatches(token, `Bearer ${token}`)).toBe(true);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, token)).toBe(false);
    expect(tokenMatches(token, `Basic ${token}`)).toBe(false);
    expect(tokenMatches(token, `Bearer ${token}x`)).toBe(false);
    expect(tokenMatches(token, `Bearer ${token.slice(0, -1)}`)).toBe(false);
    expect(tokenMatches(token, 'Bearer ')).toBe(false);
  });
});
