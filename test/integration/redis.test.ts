import { afterAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, createKeyspace, createRedis, redisAnswers, type RedisClient } from '@vigil/redis';
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

  it('a Redis that does not answer is a retriable connection error', async () => {
    const redis = createRedis({ url: 'redis://127.0.0.1:1' });
    clients.push(redis);
    redis.on('error', () => undefined);
    (redis.options as { retryStrategy?: unknown }).retryStrategy = () => null;
    await expect(connectRedis(redis)).rejects.toMatchObject({ code: 'VIGIL_REDIS_CONNECT', retriable: true });
    expect(await redisAnswers(redis)).toBe(false);
  });
});
