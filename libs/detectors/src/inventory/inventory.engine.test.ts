import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiTransaction, Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { newEndpoint, shadowEndpoint, unauthenticatedAccess, zombieEndpoint } from '../detectors/index.js';
import { HOUR, MINUTE, T0, detect, latest, rng, tx } from '../testing.js';

/**
 * The inventory's detectors through the engine: the api `shop` has five
 * endpoints from the start; a declared spec omits one (shadow), marks one
 * deprecated (zombie) and secures one that is then called without a
 * principal for ten minutes (unauthenticated access). Each fires once per
 * endpoint and window; with the full, current spec nothing fires.
 */
const detectors = [newEndpoint, shadowEndpoint, zombieEndpoint, unauthenticatedAccess];
const ANON_FROM = T0 + 2 * HOUR + 10 * MINUTE;

const ROUTES = [
  { method: 'GET', path: (n: number) => `/products/${1000 + n}`, principal: true },
  { method: 'GET', path: (n: number) => `/orders/${5000 + n}`, principal: true },
  { method: 'POST', path: () => '/orders', principal: true },
  { method: 'GET', path: () => '/v1/catalog', principal: false },
  { method: 'GET', path: () => '/internal/metrics', principal: false },
] as const;

/** Three hours of calls to the five endpoints, and anonymous reads of orders from ANON_FROM for ten minutes. */
function traffic(): ApiTransaction[] {
  const r = rng(5);
  const out: ApiTransaction[] = [];
  for (let t = T0; t < T0 + 3 * HOUR; t += 4_000) {
    const route = ROUTES[Math.floor(r() * ROUTES.length)]!;
    const user = Math.floor(r() * 50);
    out.push(tx({ api: 'shop', timestamp: t, method: route.method, path: route.path(Math.floor(r() * 500)), ...(route.principal ? { principal: `user-${user}` } : {}), clientIp: `10.0.0.${user}` }));
  }
  for (let t = ANON_FROM; t < ANON_FROM + 10 * MINUTE; t += 20_000) out.push(tx({ api: 'shop', timestamp: t, path: `/orders/${7000 + (t % 97)}`, clientIp: '203.0.113.9' }));
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** An OpenAPI 3.1 spec of `shop` with these operations (path → method → flags). */
function specFile(dir: string, name: string, ops: Record<string, Record<string, { deprecated?: boolean; security?: unknown[] }>>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ openapi: '3.1.0', info: { title: 'shop', version: '1' }, paths: Object.fromEntries(Object.entries(ops).map(([p, m]) => [p, Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ...v, responses: { 200: { description: 'ok' } } }]))])) }));
  return file;
}

const FULL = {
  '/products/{productId}': { get: {} },
  '/orders/{orderId}': { get: {} },
  '/orders': { post: {} },
  '/v1/catalog': { get: {} },
  '/internal/metrics': { get: {} },
};

const run = (config: Record<string, unknown>, batchSize = 200) => detect(traffic(), { detectors, batchSize, config }).then(latest);
const named = (fs: readonly Finding[]) => fs.map((f) => `${f.detector} ${f.subject.value} ${new Date(f.windowStart).toISOString().slice(11, 16)}`).sort();

describe('the inventory detectors through the engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-spec-'));

  it('with a spec that omits, deprecates and secures an endpoint: shadow, zombie and unauthenticated access, once per endpoint and window', async () => {
    const spec = specFile(dir, 'partial.json', {
      '/products/{id}': { get: {} },
      '/orders/{id}': { get: { security: [{ bearer: [] }] } },
      '/orders': { post: {} },
      '/v1/catalog': { get: { deprecated: true } },
    });
    for (const batchSize of [50, 200, 1000]) {
      const found = await run({ inventory: { specs: { shop: spec } } }, batchSize);
      expect(named(found), `batches of ${batchSize}`).toEqual([
        'shadow_endpoint GET /internal/metrics 00:00',
        'shadow_endpoint GET /internal/metrics 01:00',
        'shadow_endpoint GET /internal/metrics 02:00',
        'unauthenticated_access GET /orders/{id} 02:00',
        'zombie_endpoint GET /v1/catalog 00:00',
        'zombie_endpoint GET /v1/catalog 01:00',
        'zombie_endpoint GET /v1/catalog 02:00',
      ]);
    }
    const found = await run({ inventory: { specs: { shop: spec } } });
    const unauth = found.find((f) => f.detector === 'unauthenticated_access')!;
    expect(unauth).toMatchObject({ severity: 'high', owasp: 'API2:2023', route: '/orders/{id}', evidence: { expectedFrom: 'spec', method: 'GET' } });
    expect(found.find((f) => f.detector === 'shadow_endpoint')).toMatchObject({ severity: 'high', owasp: 'API9:2023' });
    expect(found.find((f) => f.detector === 'zombie_endpoint')).toMatchObject({ severity: 'low', evidence: { declared: 'deprecated' } });
  });

  it('an endpoint an earlier version of the spec had, and the current one dropped, is a zombie (medium), not a shadow', async () => {
    const { ['/internal/metrics']: _dropped, ...current } = FULL;
    const specs = { shop: { current: specFile(dir, 'current.json', current), previous: [specFile(dir, 'v0.json', FULL)] } };
    const found = (await run({ inventory: { specs } })).filter((f) => f.subject.value === 'GET /internal/metrics');
    expect(found.map((f) => `${f.detector} ${f.severity}`)).toEqual(['zombie_endpoint medium', 'zombie_endpoint medium', 'zombie_endpoint medium']);
  });

  it('with the full, current spec nothing fires', async () => {
    expect(await run({ inventory: { specs: { shop: specFile(dir, 'full.json', FULL) } } })).toEqual([]);
  });

  it('without a spec: an endpoint first called after the warm-up is new (low), once; those of the first hours are not', async () => {
    // Released at 02:30 and used by two admins; a scanner's sweep of twenty paths it tries once each, and a crawler reading one new page ten times, are no endpoints in use.
    const late = Array.from({ length: 8 }, (_, i) => tx({ api: 'shop', timestamp: T0 + 2 * HOUR + 30 * MINUTE + i * 60_000, method: 'DELETE', path: `/orders/${42 + i}`, principal: `admin-${i % 2}` }));
    const sweep = Array.from({ length: 20 }, (_, i) => tx({ api: 'shop', timestamp: T0 + 2 * HOUR + 40 * MINUTE + i * 1_000, path: `/backup-${i}.zip`, clientIp: '203.0.113.200' }));
    const crawler = Array.from({ length: 10 }, (_, i) => tx({ api: 'shop', timestamp: T0 + 2 * HOUR + 45 * MINUTE + i * 5_000, path: '/categories/garden', clientIp: '203.0.113.201' }));
    const found = latest(await detect([...traffic(), ...late, ...sweep, ...crawler], { detectors, batchSize: 100 }));
    expect(named(found)).toEqual(['new_endpoint DELETE /orders/{id} 02:00']);
    expect(found[0]).toMatchObject({ severity: 'low', route: '/orders/{id}' });
  });

  it('a spec file that is not OpenAPI stops the engine from starting, naming the file', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'swagger: "2.0"\npaths: {}\n');
    await expect(run({ inventory: { specs: { shop: bad } } })).rejects.toThrow(/bad\.yaml/);
  });
});
