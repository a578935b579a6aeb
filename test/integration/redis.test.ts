import { afterAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, createKeyspace, createRedis, deletePrefix, redisAnswers, scanKeys, type RedisClient } from '@vigil/redis';
import { stackEnv, uniqueName } from '../support/helpers.js';

describe('Redis through the project client', () => {
  const clients: RedisClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map(closeRedis));
  });

  it('connects lazily, then round-trips values, hashes and TTLs under escaped keys', async () => {
    const redis = createRedis({ url: stackEnv().REDIS_URL, connectionName: 'vigil-it' });
    clients.push(redis);
    expect(redis.status).toBe('wait'); // building a client opens nothing
    await connectRedis(redis);
    expect(await redisAnswers(redis)).toBe(true);

    const keys = createKeyspace(uniqueName('it').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32));
    const key = keys.key('accounts', 'baseline', '/users/{id}/account', 'ip:2001:db8::1');
    await redis
      .multi()
      .hset(key, { count: '3', meanMs: '12.5' })
      .pexpire(key, 60_000)
      .exec();
    expect(await redis.hgetall(key)).toEqual({ count: '3', meanMs: '12.5' });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(key).toMatch(/^[^ ]+:\{accounts\}:baseline:\/users\/%7Bid%7D\/account:ip%3A2001%3Adb8%3A%3A1$/);
    expect(await redis.del(key)).toBe(1);
  });

  it('names the connection, so operators can find it in CLIENT LIST', async () => {
    const redis = createRedis({ url: stackEnv().REDIS_URL, connectionName: 'vigil-it-named' });
    clients.push(redis);
    await connectRedis(redis);
    expect(await redis.client('GETNAME')).toBe('vigil-it-named');
  });

  it('scans and deletes one prefix page by page, leaving a prefix that starts alike untouched', async () => {
    const redis = createRedis({ url: stackEnv().REDIS_URL });
    clients.push(redis);
    await connectRedis(redis);
    const prefix = uniqueName('scan').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 24);
    // More keys than one SCAN page asks for, and a neighbour whose name extends the prefix.
    const mine = Array.from({ length: 2500 }, (_, i) => `${prefix}:{api}:k:${i}`);
    const neighbour = `${prefix}x:{api}:k:0`;
    for (let at = 0; at < mine.length; at += 500) {
      const m = redis.multi();
      for (const k of mine.slice(at, at + 500)) m.set(k, '1', 'PX', 60_000);
      await m.exec();
    }
    await redis.set(neighbour, '1', 'PX', 60_000);

    const pages: number[] = [];
    const seen = new Set<string>();
    await scanKeys(redis, `${prefix}:*`, async (keys) => {
      pages.push(keys.length);
      for (const k of keys) seen.add(k);
    });
    expect(pages.length).toBeGreaterThan(1);
    expect([...seen].sort()).toEqual([...mine].sort());
    expect(await scanKeys(redis, `${prefix}x:*`)).toEqual([neighbour]);

    expect(await deletePrefix(redis, prefix)).toBe(2500);
    expect(await scanKeys(redis, `${prefix}:*`)).toEqual([]);
    expect(await redis.exists(neighbour)).toBe(1);
    expect(await deletePrefix(redis, `${prefix}x`)).toBe(1);
    await expect(deletePrefix(redis, '')).rejects.toMatchObject({ code: 'VIGIL_ARGUMENT' });
  });

  it('a Redis that does not answer is a retriable connection error', async () => {
    const redis = createRedis({ url: 'redis://127.0.0.1:1' });
    clients.push(redis);
    redis.on('error', () => undefined);
    (redis.options as { retryStrategy?: unknown }).retryStrategy = () => null;
    await expect(connectRedis(redis)).rejects.toMatchObject({ code: 'VIGIL_REDIS_CONNECT', retriable: true });
    expect(await redisAnswers(redis)).toBe(false);
  });
});
