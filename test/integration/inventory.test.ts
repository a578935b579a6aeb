import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionKey, type ApiTransaction, type Finding } from '@vigil/contracts';
import { DetectionEngine, detectorsConfigSchema, inventoryToOpenApi, readInventory, type InventoryEndpoint } from '@vigil/detectors';
import { ordersSpec, simulate, type Simulation } from '@vigil/simulator';
import { MemoryStateStore } from '@vigil/state';
import { scanKeys } from '@vigil/redis';
import { detectorRig, type DetectorRig } from '../support/detector.js';
import { stackEnv, waitFor } from '../support/helpers.js';
import { runInventory } from '../../services/cli/src/commands/inventory.js';

const HOUR = 3_600_000;
const INVENTORY_DETECTORS = new Set(['new_endpoint', 'shadow_endpoint', 'zombie_endpoint', 'unauthenticated_access']);

/** What the simulator generated, per endpoint: the inventory it must come out as. */
interface Expected {
  calls: number;
  authenticated: number;
  first: number;
  last: number;
}

const endpointOf = (e: { api: string; direction: string; method: string; route?: string }) => `${e.api} ${e.direction} ${e.method} ${e.route}`;

function expectedInventory(events: readonly ApiTransaction[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const e of events) {
    const key = endpointOf(e);
    const x = out.get(key) ?? { calls: 0, authenticated: 0, first: e.timestamp, last: e.timestamp };
    x.calls++;
    if (e.principal) x.authenticated++;
    x.first = Math.min(x.first, e.timestamp);
    x.last = Math.max(x.last, e.timestamp);
    out.set(key, x);
  }
  return out;
}

/** The spec files of a scenario, and the "full, current" spec: every route the traffic calls, none deprecated, none secured. */
function specFiles(sim: Simulation): { partial: string; full: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-it-specs-'));
  const partial = join(dir, 'orders.json');
  writeFileSync(partial, JSON.stringify(sim.specs!.orders));
  const full = join(dir, 'orders-full.yaml');
  const ok = { responses: { 200: { description: 'ok' } } };
  writeFileSync(
    full,
    JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'orders', version: '3.0.0' },
      paths: { '/orders': { get: ok, post: ok }, '/orders/{orderId}': { get: ok }, '/v1/orders/{orderId}': { get: ok }, '/admin/orders/export': { get: ok } },
    }),
  );
  return { partial, full };
}

/** The hours (window starts) in which events of `route` were called without a principal and served, or at all. */
const hoursOf = (events: readonly ApiTransaction[], pick: (e: ApiTransaction) => boolean) => [...new Set(events.filter(pick).map((e) => Math.floor(e.timestamp / HOUR) * HOUR))].sort();

/**
 * A simulated day (the api-inventory scenario over 24 hours, scaled down)
 * through `vigil detector` on the real Kafka and Redis, with the orders
 * api's declared spec: the inventory it keeps equals what the simulator
 * generated, the OpenAPI document rebuilt from it validates with its paths
 * equal to the routes, and the spec's three departures each give one
 * finding per endpoint and hour.
 */
describe('the API inventory on the real stack', () => {
  const sim = simulate({ scenario: 'api-inventory', hours: 24, clients: 120, peakSessionsPerMinute: 6 });
  const specs = specFiles(sim);
  let rig: DetectorRig;
  let findings: Finding[];
  let inventory: InventoryEndpoint[];

  beforeAll(async () => {
    rig = await detectorRig();
    const topic = await rig.collect(rig.topics.findings);
    await rig.start({ inventory: { specs: { orders: specs.partial } } });
    for (let i = 0; i < sim.events.length; i += 500) {
      const chunk = sim.events.slice(i, i + 500);
      await rig.producer.send(rig.topics.transactions, chunk.map((e) => ({ key: transactionKey(e), value: JSON.stringify({ ...e, timestamp: new Date(e.timestamp).toISOString() }) })));
    }
    const expectedCalls = sim.events.length;
    inventory = await waitFor(async () => {
      const read = await readInventory(rig.redis, rig.prefix);
      return read.reduce((n, e) => n + e.calls, 0) === expectedCalls ? read : undefined;
    }, `the inventory to count all ${expectedCalls} events`, 120_000, 500);
    // Findings of the last batches are published with them: give the topic a moment to deliver.
    await new Promise((r) => setTimeout(r, 1_000));
    findings = rig.findingsOf(topic.messages);
  }, 240_000);

  afterAll(() => rig?.close());

  it('lists every api, direction, method and route the simulator generated, with their calls, first and last seen and authenticated shares', () => {
    const expected = expectedInventory(sim.events);
    expect(inventory.map((e) => endpointOf(e)).sort()).toEqual([...expected.keys()].sort());
    for (const e of inventory) {
      const x = expected.get(endpointOf(e))!;
      expect(e.calls, endpointOf(e)).toBe(x.calls);
      expect(Math.abs(e.firstSeen - x.first), endpointOf(e)).toBeLessThanOrEqual(60_000);
      expect(Math.abs(e.lastSeen - x.last), endpointOf(e)).toBeLessThanOrEqual(60_000);
      expect(Math.abs(e.authenticatedShare - x.authenticated / x.calls), endpointOf(e)).toBeLessThanOrEqual(0.01);
      expect(e.callsPerDay.reduce((n, d) => n + d.calls, 0)).toBe(x.calls);
    }
    // The day crosses midnight: calls are split over two UTC days.
    expect(inventory.some((e) => e.callsPerDay.filter((d) => d.calls > 0).length === 2)).toBe(true);
  });

  it('keeps an endpoint-day in a few kilobytes of Redis, and an endpoint-hour in less than one (the figures docs/inventory.md gives)', async () => {
    // Hour keys live 3 hours of wall clock; this test plays a day in seconds, so every hour's are still here: they are counted apart.
    const hourly = new Set(['ieh', 'iec']);
    const families = new Set(['inv', 'invm', 'iem', 'ied', 'ihp', 'iha', 'ihc', 'ish', ...hourly]);
    const bytes = { daily: 0, hourly: 0 };
    let hourKeys = 0;
    await scanKeys(rig.redis, `${rig.prefix}:*`, async (batch) => {
      const mine = batch.map((key) => ({ key, family: /\}:([a-z]+)/.exec(key)?.[1] ?? '' })).filter((x) => families.has(x.family));
      const p = rig.redis.pipeline();
      for (const { key } of mine) p.memory('USAGE', key, 'SAMPLES', '0');
      const sizes = ((await p.exec()) ?? []).map(([, v]) => Number(v ?? 0));
      mine.forEach(({ family }, i) => {
        if (hourly.has(family)) bytes.hourly += sizes[i]!;
        else bytes.daily += sizes[i]!;
        if (family === 'ieh') hourKeys++;
      });
    });
    const days = inventory.reduce((n, e) => n + e.callsPerDay.filter((d) => d.calls > 0).length, 0);
    console.log(`inventory memory: ${inventory.length} endpoints, ${days} endpoint-days ${bytes.daily} bytes (${Math.round(bytes.daily / days)} each), ${hourKeys} endpoint-hours ${bytes.hourly} bytes (${Math.round(bytes.hourly / hourKeys)} each)`);
    expect(bytes.daily / days).toBeLessThan(4 * 1024);
    expect(bytes.hourly / hourKeys).toBeLessThan(1024);
  });

  it('vigil inventory prints it as JSON, as a table, what appeared since a time, and as OpenAPI', async () => {
    const print = async (o: Partial<Parameters<typeof runInventory>[0]>) => {
      let out = '';
      await runInventory({ redisUrl: stackEnv().REDIS_URL, prefix: rig.prefix, sort: 'calls', format: 'json', ...o }, (t) => (out += t));
      return out;
    };
    const json = JSON.parse(await print({})) as InventoryEndpoint[];
    expect(json.map(endpointOf).sort()).toEqual(inventory.map(endpointOf).sort());
    expect(json.map((e) => e.calls)).toEqual([...json.map((e) => e.calls)].sort((a, b) => b - a));
    const table = await print({ format: 'table', api: 'orders' });
    expect(table).toContain('GET     /admin/orders/export');
    expect(table.trimEnd().endsWith(`${inventory.filter((e) => e.api === 'orders').length} endpoints`)).toBe(true);
    const late = JSON.parse(await print({ since: { at: sim.start + 2 * HOUR } })) as InventoryEndpoint[];
    expect(late.map(endpointOf).sort()).toEqual(['orders inbound GET /admin/orders/export', 'orders inbound GET /v1/orders/{id}']);
    const doc = JSON.parse(await print({ format: 'openapi', api: 'orders' })) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/admin/orders/export');
  });

  it('rebuilds an OpenAPI 3.1 document per inbound api that validates, with its paths equal to the routes called', async () => {
    const validator = new Validator();
    for (const api of [...new Set(sim.events.filter((e) => e.direction === 'inbound').map((e) => e.api))]) {
      const doc = inventoryToOpenApi(inventory, { api, generatedAt: sim.end }) as { openapi: string; paths: Record<string, unknown> };
      const result = await validator.validate(doc);
      expect(result.errors, api).toBeUndefined();
      expect(result.valid, api).toBe(true);
      expect(doc.openapi).toBe('3.1.0');
      const routes = [...new Set(sim.events.filter((e) => e.api === api).map((e) => e.route!))].sort();
      expect(Object.keys(doc.paths).sort(), api).toEqual(routes);
    }
  });

  it('finds the shadow, the zombie and the unauthenticated access once per endpoint and hour, and nothing else of the inventory', () => {
    const orders = sim.events.filter((e) => e.api === 'orders');
    const windows = (detector: string) => [...new Set(findings.filter((f) => f.detector === detector).map((f) => `${f.subject.value} ${f.windowStart}`))].sort();
    const expected = (subject: string, hours: number[]) => hours.map((h) => `${subject} ${h}`);
    expect(windows('shadow_endpoint')).toEqual(expected('GET /admin/orders/export', hoursOf(orders, (e) => e.route === '/admin/orders/export')));
    expect(windows('zombie_endpoint')).toEqual(expected('GET /v1/orders/{id}', hoursOf(orders, (e) => e.route === '/v1/orders/{id}')));
    expect(windows('unauthenticated_access')).toEqual(expected('GET /orders/{id}', hoursOf(orders, (e) => e.route === '/orders/{id}' && !e.principal)));
    // One id per endpoint and hour: a finding published again carries the id it had.
    const ids = new Map<string, Set<string>>();
    for (const f of findings.filter((x) => INVENTORY_DETECTORS.has(x.detector))) ids.set(`${f.detector} ${f.subject.value} ${f.windowStart}`, (ids.get(`${f.detector} ${f.subject.value} ${f.windowStart}`) ?? new Set()).add(f.id));
    expect([...ids.values()].every((s) => s.size === 1)).toBe(true);
    // Apis without a declared spec get no shadow or zombie findings, and the day's routes are all there before the warm-up ends.
    expect(findings.filter((f) => INVENTORY_DETECTORS.has(f.detector) && f.api !== 'orders')).toEqual([]);
  });

  it('with the full, current spec nothing of the inventory fires (the same day, through the same engine)', async () => {
    const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({ inventory: { specs: { orders: specs.full } } }), store: new MemoryStateStore() });
    const found: Finding[] = [];
    for (let i = 0; i < sim.events.length; i += 200) {
      const { findings: batch } = await engine.process(sim.events.slice(i, i + 200));
      await engine.markPublished(batch);
      found.push(...batch.filter((f) => INVENTORY_DETECTORS.has(f.detector)));
    }
    expect(found.map((f) => `${f.detector} ${f.subject.value}`)).toEqual([]);
  }, 120_000);
});
