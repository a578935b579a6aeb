import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InventoryEndpoint, InventoryQuery } from '@vigil/detectors';
import { createLogger, createMetricsRegistry } from '@vigil/telemetry';
import { bearerToken, createLockout, tokenMatches } from './api-guard.js';
import { decodePathSegment, HttpError, isJsonMediaType } from './api-http.js';
import { stubbedApi } from './api.testing.js';
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
    const api = stubbedApi('api-test', { token, store, logger });
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

describe('the inventory routes', () => {
  const token = 'a-long-enough-token-0123456789';
  const T = Date.UTC(2026, 10, 23, 10, 0, 0);
  function endpoint(over: Partial<InventoryEndpoint>): InventoryEndpoint {
    return {
      api: 'accounts',
      direction: 'inbound',
      method: 'GET',
      route: '/users/{id}',
      firstSeen: T,
      lastSeen: T + 60_000,
      callsPerDay: [{ day: '2026-11-23', calls: 10 }],
      calls: 10,
      statusCodes: { '200': 10 },
      latencyMs: { p50: 20, p95: 40 },
      responseBytes: { p50: 500, p95: 900 },
      signatures: [],
      contentTypes: [{ value: 'application/json', firstSeen: T }],
      authenticatedShare: 1,
      anonymousServed: 0,
      distinct: { principals: 3, addresses: 2, clients: 1 },
      ...over,
    };
  }
  const canned = [
    endpoint({}),
    endpoint({ method: 'POST', route: '/users', firstSeen: T + 3_600_000, lastSeen: T + 7_200_000 }),
    endpoint({ direction: 'outbound', route: '/v1/charges', method: 'POST' }),
    endpoint({ api: 'orders', route: '/orders/{id}' }),
  ];
  const queries: InventoryQuery[] = [];
  /** Filters as readInventory does, and records each query. */
  const inventory = (q: InventoryQuery) => {
    queries.push(q);
    return Promise.resolve(canned.filter((e) => (q.api === undefined || e.api === q.api) && (q.direction === undefined || e.direction === q.direction) && (q.since === undefined || e.firstSeen >= q.since)));
  };
  const registry = createMetricsRegistry('api-inventory-test', { defaultMetrics: false });
  const api = stubbedApi('api-inventory-test', { token, inventory, metrics: createNotifierMetrics(registry) });
  let base = '';
  beforeAll(async () => {
    base = `http://127.0.0.1:${(await api.listen(0)).port}`;
  });
  afterAll(() => api.close());
  beforeEach(() => void queries.splice(0));
  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => fetch(`${base}${path}`, { headers });

  it('refuses a request without the token (401), before reading the inventory', async () => {
    for (const path of ['/inventory', '/inventory/accounts', '/inventory/accounts/openapi']) {
      const res = await get(path, {});
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(await res.json()).toEqual({ error: 'missing or wrong bearer token' });
    }
    expect(queries).toEqual([]);
  });

  it('lists every api’s endpoints', async () => {
    const res = await get('/inventory');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ endpoints: canned });
    expect(queries).toEqual([{}]);
  });

  it('passes the filters through to the reader', async () => {
    const res = await get('/inventory?direction=inbound&since=2026-11-23T11:00:00%2B01:00&api=accounts');
    expect(res.status).toBe(200);
    expect(queries).toEqual([{ direction: 'inbound', since: T, api: 'accounts' }]);
    expect(((await res.json()) as { endpoints: InventoryEndpoint[] }).endpoints.map((e) => `${e.method} ${e.route}`)).toEqual(['GET /users/{id}', 'POST /users']);
    queries.splice(0);
    const one = await get('/inventory/accounts?direction=outbound');
    expect(await one.json()).toEqual({ api: 'accounts', endpoints: [canned[2]] });
    expect(queries).toEqual([{ direction: 'outbound', api: 'accounts' }]);
  });

  it('decodes the api in the path', async () => {
    expect((await get('/inventory/my%20api')).status).toBe(404);
    expect(queries).toEqual([{ api: 'my api' }]);
  });

  it('answers bad query values and malformed percent-encodings with 400 and the error shape, without reading', async () => {
    const cases: [string, string][] = [
      ['/inventory?direction=sideways', 'direction must be one of inbound, outbound'],
      ['/inventory?direction=inbound&direction=outbound', 'direction must be given at most once'],
      ['/inventory?since=yesterday', 'since must be an RFC 3339 time'],
      ['/inventory?since=2026-13-01T00:00:00Z', 'since must be an RFC 3339 time'],
      ['/inventory?since=2026-11-23T11:00:00+01:00', 'since must be an RFC 3339 time'], // an unescaped + reads as a space
      ['/inventory?api=', 'api must be 1 to 256 characters'],
      [`/inventory?api=${'a'.repeat(257)}`, 'api must be 1 to 256 characters'],
      ['/inventory/accounts?since=2026-11-23', 'since must be an RFC 3339 time'],
      ['/inventory/accounts?api=orders', 'the api is named in the path'],
      ['/inventory/%zz', 'malformed percent-encoding in the path'],
      ['/inventory/%', 'malformed percent-encoding in the path'],
      ['/inventory/%E0%A4%A/openapi', 'malformed percent-encoding in the path'],
      [`/inventory/${'a'.repeat(257)}`, 'api must be 1 to 256 characters'],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      const body = (await res.json()) as { error: string };
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toContain(message);
    }
    expect(queries).toEqual([]);
  });

  it('answers 404 for an api without an inventory, and an empty list for a filter that leaves none', async () => {
    for (const path of ['/inventory/unknown', '/inventory/unknown/openapi', '/inventory/unknown?direction=inbound']) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(await res.json()).toEqual({ error: 'no inventory for api "unknown"' });
    }
    const res = await get('/inventory/orders?direction=outbound');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ api: 'orders', endpoints: [] });
    expect((await get('/inventory?api=unknown')).status).toBe(200);
  });

  it('serves the api’s OpenAPI 3.1 document, dated by its latest call', async () => {
    const res = await get('/inventory/accounts/openapi?direction=ignored');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; info: Record<string, unknown>; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info['x-vigil-api']).toBe('accounts');
    expect(doc.info['x-vigil-generated-at']).toBe(new Date(T + 7_200_000).toISOString());
    expect(Object.keys(doc.paths)).toEqual(['/users', '/users/{id}', '/v1/charges']);
    expect(queries).toEqual([{ api: 'accounts' }]);
  });

  it('is read-only, and counted by route template', async () => {
    const res = await fetch(`${base}/inventory/accounts`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    const values = (await registry.getSingleMetric('vigil_api_requests_total')!.get()).values;
    const count = (route: string, status: string) => values.filter((v) => v.labels.route === route && v.labels.status_class === status).reduce((s, v) => s + v.value, 0);
    expect(count('/inventory', '2xx')).toBeGreaterThan(0);
    expect(count('/inventory/{api}', '4xx')).toBeGreaterThan(0);
    expect(count('/inventory/{api}/openapi', '2xx')).toBeGreaterThan(0);
  });
});
