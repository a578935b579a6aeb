import type { ApiTransaction } from '@vigil/contracts';
import { MemoryStateStore, type ShardResult, type StatePlan } from '@vigil/state';
import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../engine.js';
import { detectorsConfigSchema } from '../config.js';
import { HOUR, T0, tx } from '../testing.js';

/**
 * The inventory's first-sighting marks (the api's index of endpoints, each
 * endpoint's `first`, its response shapes) are set once and then only renewed:
 * they are written once per endpoint and hour of the batch clock, the api's
 * `last` once per batch, and again after a batch failed (it may not have
 * written them). A sketch's members (an endpoint's distinct principals,
 * addresses, clients of a day) likewise: each once per hour, with one
 * member in every batch that renews the sketch's TTL.
 */
class CountingStore extends MemoryStateStore {
  /** Per batch applied: the firstSeen writes to the index, endpoint meta and shapes, and the max writes to the api's meta. */
  readonly batches: { index: string[]; meta: number; shapes: number; apiLast: number; principals: Map<string, readonly string[]> }[] = [];
  failNext = false;

  override async apply(plan: StatePlan): Promise<ShardResult[]> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store unavailable');
    }
    const ops = plan.shards.flatMap((s) => s.firstSeen);
    this.batches.push({
      index: ops.filter((o) => o.key[0] === 'inv').map((o) => o.field),
      meta: ops.filter((o) => o.key[0] === 'iem').length,
      shapes: ops.filter((o) => o.key[0] === 'ish').length,
      apiLast: plan.shards.flatMap((s) => s.max ?? []).filter((o) => o.key[0] === 'invm').length,
      principals: new Map(plan.shards.flatMap((s) => s.sketches ?? []).filter((o) => o.key[0] === 'ihp').map((o) => [String(o.key[1]), o.members])),
    });
    return super.apply(plan);
  }
}

/** Calls to three endpoints of `shop`, one every 10 s from `from` for `ms`, by `principals` principals in turn. */
function calls(from: number, ms: number, principals = 5): ApiTransaction[] {
  const paths = ['/products/7', '/orders/9', '/cart'];
  const out: ApiTransaction[] = [];
  for (let t = from, i = 0; t < from + ms; t += 10_000, i++) out.push(tx({ api: 'shop', timestamp: t, path: paths[i % 3]!, principal: `u${i % principals}`, responseSignature: 'sig-a', contentType: 'application/json' }));
  return out;
}

async function run(store: CountingStore, events: readonly ApiTransaction[], batchSize: number, engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store })): Promise<DetectionEngine> {
  for (let i = 0; i < events.length; i += batchSize) {
    const out = await engine.process(events.slice(i, i + batchSize));
    await engine.markPublished(out.findings);
  }
  return engine;
}

describe('the inventory marks', () => {
  it('writes each endpoint first sighting once per hour of the batch clock, and the api last once per batch', async () => {
    const store = new CountingStore();
    await run(store, calls(T0 + 5 * 60_000, 2 * HOUR), 30);
    const indexWrites = store.batches.flatMap((b) => b.index);
    // Three endpoints, batches in three clock hours (00:05-00:59, 01, 02:00-02:05): at most one write each per hour.
    expect(store.batches.length).toBeGreaterThan(20);
    expect(indexWrites.length).toBeLessThanOrEqual(9);
    expect(new Set(indexWrites).size).toBe(3);
    expect(store.batches.reduce((n, b) => n + b.meta, 0)).toBe(indexWrites.length);
    // One signature and one media type per endpoint.
    expect(store.batches.reduce((n, b) => n + b.shapes, 0)).toBeLessThanOrEqual(2 * 9);
    for (const b of store.batches) expect(b.apiLast).toBe(1);
  });

  it('writes the marks again after a batch failed', async () => {
    const store = new CountingStore();
    const engine = await run(store, calls(T0, 10 * 60_000), 20);
    const before = store.batches.length;
    expect(store.batches.slice(1).every((b) => b.index.length === 0)).toBe(true);
    store.failNext = true;
    const next = calls(T0 + 10 * 60_000, 60_000);
    await expect(engine.process(next)).rejects.toThrow('store unavailable');
    const out = await engine.process(next);
    await engine.markPublished(out.findings);
    expect(store.batches.length).toBe(before + 1);
    expect(store.batches.at(-1)!.index.sort()).toEqual(['iGET /cart', 'iGET /orders/{id}', 'iGET /products/{id}']);
  });

  it('writes each sketch member once per hour of the batch clock, a member in every batch, and the distinct counts as before', async () => {
    const store = new CountingStore();
    // 7 principals over 2 hours in batches of 20 calls (00:05-00:59, 01, 02:00-02:05): every endpoint meets all 7 each hour.
    await run(store, calls(T0 + 5 * 60_000, 2 * HOUR, 7), 20);
    const endpoints = ['GET /cart', 'GET /orders/{id}', 'GET /products/{id}'];
    let written = 0;
    let ops = 0;
    for (const b of store.batches) {
      for (const [endpoint, members] of b.principals) {
        expect(members.length).toBeGreaterThan(0);
        ops++;
        written += members.length;
      }
    }
    // Every batch calls every endpoint, each batch's sketch op renews its TTL.
    expect(ops).toBe(store.batches.length * 3);
    // Per endpoint and hour its 7 principals, and at most the one renewing member in the other batches.
    expect(written).toBeLessThanOrEqual(3 * 3 * 7 + ops);
    expect(written).toBeLessThan(ops * 6);
    // Every principal was written to every endpoint's sketch of the day: the distinct counts are whole.
    const day = Math.floor(T0 / (24 * HOUR));
    for (const endpoint of endpoints) expect(store.sketchCount('shop', [['ihp', `i${endpoint}`, day]])).toBe(7);
  });

  it('writes every sketch member again after a batch failed', async () => {
    const store = new CountingStore();
    const engine = await run(store, calls(T0, 10 * 60_000, 7), 21);
    expect(store.batches.at(-1)!.principals.get('iGET /cart')!.length).toBe(1);
    store.failNext = true;
    const next = calls(T0 + 10 * 60_000, 60_000 * 3.5, 7);
    await expect(engine.process(next)).rejects.toThrow('store unavailable');
    await engine.process(next);
    // The batch again written whole: the 7 principals it holds on each endpoint.
    for (const members of store.batches.at(-1)!.principals.values()) expect(new Set(members).size).toBe(7);
  });

  it('counts every distinct principal, address and client of a caller that calls more endpoints, from more addresses, than it keeps marks for', async () => {
    const store = new CountingStore();
    // 5 principals, each calling 7 endpoints in turn, from an address and a client that change every 13 of its calls.
    const paths = Array.from({ length: 7 }, (_, k) => `/p${k}`);
    const events: ApiTransaction[] = [];
    for (let i = 0; i < 700; i++) {
      const caller = i % 5;
      const round = Math.floor(i / 5);
      const from = Math.floor(round / 13);
      events.push(tx({ api: 'shop', timestamp: T0 + i * 10_000, path: paths[round % 7]!, principal: `u${caller}`, clientIp: `10.0.${caller}.${from}`, clientId: `app-${from}` }));
    }
    await run(store, events, 40);
    const day = Math.floor(T0 / (24 * HOUR));
    for (const path of paths) {
      const mine = events.filter((e) => e.path === path);
      const distinct = (f: (e: ApiTransaction) => string | undefined) => new Set(mine.map(f)).size;
      expect(store.sketchCount('shop', [['ihp', `iGET ${path}`, day]]), path).toBe(distinct((e) => e.principal));
      expect(store.sketchCount('shop', [['iha', `iGET ${path}`, day]]), path).toBe(distinct((e) => e.clientIp));
      expect(store.sketchCount('shop', [['ihc', `iGET ${path}`, day]]), path).toBe(distinct((e) => e.clientId));
    }
  });
});
