import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTransaction } from '@vigil/contracts';
import { DetectionEngine, detectorsConfigSchema, type InventoryEndpoint } from '@vigil/detectors';
import { closeRedis, connectRedis, createRedis, deletePrefix, scanKeys, type RedisClient } from '@vigil/redis';
import { RedisStateStore } from '@vigil/state';
import { MINUTE, tx } from '../../libs/detectors/src/testing.js';
import { stackEnv, uniqueName } from '../support/helpers.js';
import { notifierRig, type NotifierRig } from '../support/notifier.js';

/**
 * The inventory as the notifier's API serves it, from the keys the real
 * engine wrote into the real Redis (no mocks): events through
 * DetectionEngine over RedisStateStore under a key prefix of their own, then
 * a notifier on that prefix answers GET /inventory… with its bearer token.
 */
describe('the notifier API serves the API inventory the detector keeps', () => {
  const prefix = uniqueName('itinv').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const start = Math.floor((Date.now() - 3_600_000) / MINUTE) * MINUTE;
  const later = start + 30 * MINUTE;
  let redis: RedisClient;
  let rig: NotifierRig;

  /** `n` calls of one endpoint, a second apart from `at`, from a few callers. */
  function calls(n: number, at: number, over: (i: number) => Partial<ApiTransaction>): ApiTransaction[] {
    return Array.from({ length: n }, (_, i) => tx({ timestamp: at + i * 1000, clientIp: `198.51.100.${(i % 5) + 1}`, ...over(i) }));
  }
  const events = [
    ...calls(150, start, (i) => ({ api: 'shop', method: 'GET', path: `/products/${1000 + i}`, principal: `user-${i % 7}` })),
    ...calls(60, start + 5_000, () => ({ api: 'shop', method: 'POST', path: '/orders', status: 201, principal: 'user-1', contentType: 'application/json' })),
    ...calls(40, start + 7_000, () => ({ api: 'shop', method: 'GET', path: '/health' })),
    ...calls(50, start + 3_000, () => ({ api: 'payments', direction: 'outbound', method: 'POST', path: '/v1/charges', rateLimitLimit: 100, rateLimitRemaining: 60 })),
    ...calls(20, later, (i) => ({ api: 'shop', method: 'DELETE', path: `/orders/${500 + i}`, status: 204, principal: 'admin' })),
  ].sort((a, b) => a.timestamp - b.timestamp);
  const expected = ['payments outbound POST /v1/charges 50', 'shop inbound DELETE /orders/{id} 20', 'shop inbound GET /health 40', 'shop inbound GET /products/{id} 150', 'shop inbound POST /orders 60'];
  const summary = (endpoints: readonly InventoryEndpoint[]) => endpoints.map((e) => `${e.api} ${e.direction} ${e.method} ${e.route} ${e.calls}`).sort();

  beforeAll(async () => {
    redis = createRedis({ url: stackEnv().REDIS_URL });
    await connectRedis(redis);
    const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store: new RedisStateStore({ redis, prefix }) });
    for (let i = 0; i < events.length; i += 100) await engine.process(events.slice(i, i + 100));
    rig = await notifierRig({}, { prefix });
    await rig.start();
  });
  afterAll(async () => {
    await rig?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      await closeRedis(redis);
    }
  });

  it('wrote the inventory under the prefix', async () => {
    expect((await scanKeys(redis, `${prefix}:{*}:inv`)).sort()).toEqual([`${prefix}:{payments}:inv`, `${prefix}:{shop}:inv`]);
  });

  it('lists the endpoints that were called, with their calls', async () => {
    const res = await rig.api('/inventory');
    expect(res.status).toBe(200);
    const { endpoints } = (await res.json()) as { endpoints: InventoryEndpoint[] };
    expect(summary(endpoints)).toEqual(expected);
    const products = endpoints.find((e) => e.route === '/products/{id}')!;
    expect(products.firstSeen).toBe(start);
    expect(products.lastSeen).toBe(start + 149_000);
    expect(products.statusCodes).toEqual({ '200': 150 });
    expect(products.authenticatedShare).toBe(1);
    expect(products.distinct.addresses).toBe(5);
  });

  it('filters by direction, first sighting and api', async () => {
    const only = async (path: string) => summary(((await (await rig.api(path)).json()) as { endpoints: InventoryEndpoint[] }).endpoints);
    expect(await only('/inventory?direction=outbound')).toEqual(['payments outbound POST /v1/charges 50']);
    expect(await only(`/inventory?since=${encodeURIComponent(new Date(later).toISOString())}`)).toEqual(['shop inbound DELETE /orders/{id} 20']);
    expect(await only('/inventory?api=shop&direction=inbound')).toEqual(expected.filter((e) => e.startsWith('shop ')));
  });

  it('shows one api, 404 for an api with no inventory, 400 for a bad query or a malformed path', async () => {
    const res = await rig.api('/inventory/payments');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { api: string; endpoints: InventoryEndpoint[] };
    expect(body.api).toBe('payments');
    expect(summary(body.endpoints)).toEqual(['payments outbound POST /v1/charges 50']);
    expect(body.endpoints[0]!.rateLimitLowestRemaining).toBe(0.6);
    const missing = await rig.api('/inventory/nothing-here');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no inventory for api "nothing-here"' });
    expect((await rig.api('/inventory?direction=both')).status).toBe(400);
    expect((await rig.api('/inventory?since=last-week')).status).toBe(400);
    const malformed = await rig.api('/inventory/%zz/openapi');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'malformed percent-encoding in the path' });
    expect((await rig.api('/inventory', { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
  });

  it('rebuilds the api’s OpenAPI 3.1 document from the traffic', async () => {
    const res = await rig.api('/inventory/shop/openapi');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; info: Record<string, unknown>; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info['x-vigil-generated-at']).toBe(new Date(later + 19_000).toISOString());
    expect(Object.keys(doc.paths)).toEqual(['/health', '/orders', '/orders/{id}', '/products/{id}']);
    expect(Object.keys(doc.paths['/orders']!)).toEqual(['post']);
    expect(Object.keys(doc.paths['/orders/{id}']!)).toEqual(['parameters', 'delete']);
  });

  it('logged no error', () => {
    expect(rig.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
