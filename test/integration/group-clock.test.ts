import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupClock } from '@vigil/detector';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '@vigil/redis';
import { stackEnv, uniqueName } from '../support/helpers.js';

/**
 * Two replicas of one consumer group share the window clock through the real
 * Redis: each holds the other's route and api windows while it has events
 * pending, and stops holding them when it catches up or stops refreshing.
 */
describe('the window clock across a group (Redis)', () => {
  let redis: RedisClient;
  const prefix = uniqueName('gclk').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);

  beforeAll(async () => {
    redis = createRedis({ url: stackEnv().REDIS_URL, connectionName: 'vigil-it-clock' });
    await connectRedis(redis);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
  });

  it('holds one replica to the partitions another still has pending, releases them when caught up or stale', async () => {
    let wall = Date.now();
    const clock = (groupId: string) => createGroupClock({ redis, prefix, groupId, topic: 'api.transactions', now: () => wall });
    const a = clock('detectors');
    const b = clock('detectors');
    const otherGroup = clock('other-detectors');

    // A alone: nothing of B's pending yet.
    expect(await a.share(new Map([['api.transactions/0', 10_000]]), 'api.transactions/0')).toBeUndefined();
    // B has partition 1 pending since 5,000 and sees A's partition 0.
    expect(await b.share(new Map([['api.transactions/1', 5_000]]), 'api.transactions/1')).toBe(10_000);
    // A, further on, is held at B's 5,000; its own partitions never hold its own batch.
    expect(await a.share(new Map([['api.transactions/0', 20_000], ['api.transactions/2', 15_000]]), 'api.transactions/0')).toBe(5_000);
    // Another group's clock is its own.
    expect(await otherGroup.share(new Map(), 'api.transactions/0')).toBeUndefined();

    // B caught up with partition 1: A is held only by its own other partition.
    await b.release('api.transactions/1');
    expect(await a.share(new Map([['api.transactions/0', 20_000], ['api.transactions/2', 15_000]]), 'api.transactions/0')).toBe(15_000);

    // B pending again, then silent (stopped) past the stale period: A no longer waits for it.
    expect(await b.share(new Map([['api.transactions/1', 12_000]]), 'api.transactions/1')).toBe(15_000);
    expect(await a.share(new Map([['api.transactions/0', 20_000], ['api.transactions/2', 15_000]]), 'api.transactions/0')).toBe(12_000);
    wall += 31_000;
    expect(await a.share(new Map([['api.transactions/0', 21_000], ['api.transactions/2', 15_000]]), 'api.transactions/0')).toBe(15_000);

    // One hash per group and topic (the other group never had anything pending), a field per partition, with a TTL.
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toHaveLength(1);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
    expect(await redis.hlen(keys[0]!)).toBe(3);
    expect(a.roundTrips).toBe(5);
  });
});
