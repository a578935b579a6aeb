import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '@vigil/redis';
import { Outbox } from '@vigil/outbox';
import { stackEnv, uniqueName } from '../support/helpers.js';

describe('the outbox on the real Redis', () => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = createRedis({ url: stackEnv().REDIS_URL });
    await connectRedis(redis);
  });
  afterAll(() => closeRedis(redis));
  const outbox = (o: Partial<ConstructorParameters<typeof Outbox>[0]> = {}) =>
    new Outbox({ redis, prefix: uniqueName('ob').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32), leaseMs: 10_000, random: () => 1, backoff: { initialMs: 1000, maxMs: 60_000, factor: 2 }, ...o });
  const T = 1_800_000_000_000;

  it('queues an id once, and never again once delivered', async () => {
    const ob = outbox();
    expect(await ob.enqueue('inc-1:2:trigger:slack', '{"a":1}', T)).toBe(true);
    expect(await ob.enqueue('inc-1:2:trigger:slack', '{"a":1}', T)).toBe(false);
    const [entry] = await ob.claim(T);
    expect(entry).toEqual({ id: 'inc-1%3A2%3Atrigger%3Aslack', payload: '{"a":1}', attempts: 0, deferred: false });
    await ob.ack(entry!.id);
    expect(await ob.depth()).toBe(0);
    expect(await ob.enqueue('inc-1:2:trigger:slack', '{"a":1}', T + 1)).toBe(false);
  });

  it('a claimed entry is leased: not claimed again until the lease runs out (the claimer died)', async () => {
    const ob = outbox();
    await ob.enqueue('x', 'p', T);
    expect(await ob.claim(T)).toHaveLength(1);
    expect(await ob.claim(T + 5_000)).toHaveLength(0);
    const again = await ob.claim(T + 10_000);
    expect(again.map((e) => e.id)).toEqual(['x']);
  });

  it('retries with exponential backoff, then gives up into the dead set; nothing is dropped', async () => {
    const ob = outbox({ maxAttempts: 3 });
    await ob.enqueue('y', 'p', T);
    let now = T;
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const [e] = await ob.claim(now);
      expect(e?.attempts).toBe(i);
      const delay = await ob.fail(e!, true, '503 from receiver', now);
      delays.push(delay);
      expect(await ob.claim(now)).toEqual([]);
      now += delay ?? 0;
    }
    expect(delays).toEqual([1000, 2000, undefined]);
    expect(await ob.depth()).toBe(0);
    expect(await ob.dead()).toEqual(['y']);
    expect(await redis.hget(`${(ob as unknown as { k(kind: string, id: string): string }).k('e', 'y')}`, 'lastError')).toBe('503 from receiver');
  });

  it('a non-retryable failure goes to the dead set at once', async () => {
    const ob = outbox();
    await ob.enqueue('z', 'p', T);
    const [e] = await ob.claim(T);
    expect(await ob.fail(e!, false, '400 bad request', T)).toBeUndefined();
    expect(await ob.dead()).toEqual(['z']);
  });

  it('a deferred entry comes due later, marked deferred, without counting an attempt', async () => {
    const ob = outbox({ slot: 'notifier' });
    await ob.enqueue('d', 'p', T);
    const [e] = await ob.claim(T);
    await ob.defer(e!.id, T + 60_000);
    expect(await ob.claim(T + 59_999)).toHaveLength(0);
    expect(await ob.claim(T + 60_000)).toEqual([{ id: 'd', payload: 'p', attempts: 0, deferred: true }]);
    expect(await redis.exists(`${(ob as unknown as { keys: { prefix: string } }).keys.prefix}:{notifier}:due`)).toBe(1);
  });

  it('entries survive a new client (a restarted notifier) and come due in order', async () => {
    const prefix = uniqueName('ob2').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
    const first = new Outbox({ redis, prefix });
    await first.enqueue('b', 'pb', T + 2);
    await first.enqueue('a', 'pa', T + 1);
    const other = createRedis({ url: stackEnv().REDIS_URL });
    await connectRedis(other);
    try {
      const second = new Outbox({ redis: other, prefix });
      expect((await second.claim(T + 10)).map((e) => e.id)).toEqual(['a', 'b']);
    } finally {
      await closeRedis(other);
    }
  });
});
