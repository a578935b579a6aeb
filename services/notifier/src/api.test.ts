import { describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry } from '@vigil/telemetry';
import { bearerToken, createLockout, tokenMatches } from './api-guard.js';
import { decodePathSegment, HttpError, isJsonMediaType } from './api-http.js';
import { buildApi } from './api.js';
import { createNotifierMetrics } from './metrics.js';
import type { IncidentStore } from './store.js';

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
    expect(tokenMatches(token, `Bearer ${token} extra`)).toBe(false);
  });

  it('reads the scheme name case-insensitively (RFC 7235 §2.1)', () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) expect(tokenMatches(token, `${scheme} ${token}`)).toBe(true);
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Bearerabc')).toBeUndefined();
  });
});

describe('the lockout table', () => {
  const options = { failures: 3, windowMs: 60_000, blockMs: 10_000, maxAddresses: 100 };

  it('blocks an address after its failures within the window, for blockMs', () => {
    const lockout = createLockout(options);
    expect(lockout.fail('a', 0)).toBe(false);
    expect(lockout.fail('a', 1000)).toBe(false);
    expect(lockout.blockedFor('a', 1000)).toBe(0);
    expect(lockout.fail('a', 2000)).toBe(true);
    expect(lockout.blockedFor('a', 2000)).toBe(10_000);
    expect(lockout.blockedFor('b', 2000)).toBe(0);
    expect(lockout.blocked(5000)).toBe(1);
    expect(lockout.blockedFor('a', 12_000)).toBe(0);
  });

  it('forgets failures older than the window, and a success clears them', () => {
    const lockout = createLockout(options);
    lockout.fail('a', 0);
    lockout.fail('a', 1000);
    expect(lockout.fail('a', 61_000)).toBe(false);
    lockout.fail('a', 62_000);
    lockout.succeed('a');
    expect(lockout.fail('a', 63_000)).toBe(false);
    expect(lockout.size).toBe(1);
  });

  it('holds at most maxAddresses, forgetting the least recently failing', () => {
    const lockout = createLockout(options);
    for (let i = 0; i < 10_000; i++) lockout.fail(`10.0.${i >> 8}.${i & 255}`, i);
    expect(lockout.size).toBe(100);
    lockout.fail('10.0.39.15', 20_000); // failing again: moves to the end of the table
    for (let i = 0; i < 99; i++) lockout.fail(`192.0.2.${i}`, 20_001);
    expect(lockout.size).toBe(100);
    expect(lockout.fail('10.0.39.15', 20_002)).toBe(true); // kept: its third failure blocks
    expect(lockout.fail('10.0.39.14', 20_003)).toBe(false); // forgotten: counting starts again
    expect(lockout.fail('10.0.39.14', 20_004)).toBe(false);
  });
});

describe('request helpers', () => {
  it('a malformed percent-encoding is a 400, not a URIError', () => {
    for (const bad of ['inc-%zz', '%', '%E0%A4%A']) {
      try {
        decodePathSegment(bad);
        throw new Error('expected an HttpError');
      } catch (err) {
        expect(err).toBeInstanceOf(HttpError);
        expect((err as HttpError).status).toBe(400);
      }
    }
    expect(decodePathSegment('inc-%41')).toBe('inc-A');
  });

  it('takes application/json and +json types, with parameters', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    for (const t of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'text/json', 'application/jsonp']) expect(isJsonMediaType(t)).toBe(false);
  });
});

describe('a real server fault', () => {
  it('is still logged as an error, with its stack', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ service: 'api-test', level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
    const token = 'a-long-enough-token-0123456789';
    const store = {
      recent: () => Promise.reject(new TypeError('cannot read properties of undefined')),
    } as unknown as IncidentStore;
    const api = buildApi({
      token,
      maxBodyBytes: 4096,
      escalator: {} as never,
      store,
      suppressions: {} as never,
      silences: {} as never,
      confirmations: {} as never,
      clock: Date.now,
      logger,
      metrics: createNotifierMetrics(createMetricsRegistry('api-test', { defaultMetrics: false })),
    });
    const { port } = await api.listen(0);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/incidents`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'internal error' });
      const fault = lines.find((l) => l.msg === 'API request failed');
      expect(fault?.level).toBe('error');
      expect((fault?.err as { stack?: string }).stack).toContain('TypeError');
      expect(fault?.route).toBe('/incidents');
    } finally {
      await api.close();
    }
  });
});
