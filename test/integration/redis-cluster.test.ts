import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupClock } from '@vigil/detector';
import { closeRedis, connectRedis, createKeyspace, createRedis, deletePrefix, scanKeys, type RedisClient } from '@vigil/redis';
import { startLocalCluster, type LocalCluster } from '../support/redis-cluster.js';

describe('Redis Cluster through the project client', () => {
  let cluster: LocalCluster | undefined;
  let redis: RedisClient;
  let nodes: string[];

  beforeAll(async () => {
    if (process.env.REDIS_CLUSTER_NODES) nodes = process.env.REDIS_CLUSTER_NODES.split(',');
    else {
      cluster = await startLocalCluster();
      nodes = cluster.nodes;
    }
    redis = createRedis({ url: 'redis://127.0.0.1:6379', clusterNodes: nodes });
    await connectRedis(redis);
  });

  afterAll(async () => {
    if (redis) await closeRedis(redis);
    await cluster?.stop();
  });

  it('keys that share a hash tag can be written in one MULTI across a three-master cluster', async () => {
    const ks = createKeyspace('vigil-it');
    const slots = new Set<number>();
    for (const api of ['accounts', 'orders', 'search', 'payments', 'maps', 'auth']) {
      const a = ks.key(api, 'rate');
      const b = ks.key(api, 'latency', '/x/{id}');
      const replies = await redis.multi().set(a, '1', 'PX', 60_000).hset(b, 'n', '2').pexpire(b, 60_000).exec();
      expect(replies?.every(([err]) => err === null)).toBe(true);
      expect(await redis.get(a)).toBe('1');
      expect(await redis.hget(b, 'n')).toBe('2');
      slots.add(Number(await redis.cluster('KEYSLOT', a)));
      expect(Number(await redis.cluster('KEYSLOT', b))).toBe(Number(await redis.cluster('KEYSLOT', a)));
    }
    // Different tags spread over different slots, so the cluster really routed them.
    expect(slots.size).toBeGreaterThan(1);
    const masters = (await redis.cluster('NODES')) as unknown as string;
    expect(masters.split('\n').filter((l) => l.includes('master')).length).toBe(3);
  });

  it('scans and deletes a prefix on every master, whatever slots its keys hash to', async () => {
    const ks = createKeyspace('vigil-it-scan');
    const keys = Array.from({ length: 300 }, (_, i) => ks.key(`api${i}`, 'n'));
    for (const k of keys) await redis.set(k, '1', 'PX', 60_000);
    const slots = new Set<number>();
    for (const k of keys.slice(0, 30)) slots.add(Number(await redis.cluster('KEYSLOT', k)));
    expect(slots.size).toBeGreaterThan(1);
    expect((await scanKeys(redis, 'vigil-it-scan:*')).sort()).toEqual([...keys].sort());
    expect(await deletePrefix(redis, 'vigil-it-scan')).toBe(300);
    expect(await scanKeys(redis, 'vigil-it-scan:*')).toEqual([]);
  });

  it("shares the detector group's window clock through the cluster (one hash tag, pipelined)", async () => {
    const clock = (topic: string) => createGroupClock({ redis, prefix: 'vigil-it', groupId: 'cluster-group', topic });
    const a = clock('api.transactions');
    const b = clock('api.transactions');
    expect(await a.share(new Map([['api.transactions/0', 2_000]]), 'api.transactions/0')).toBeUndefined();
    expect(await b.share(new Map([['api.transactions/1', 1_000]]), 'api.transactions/1')).toBe(2_000);
    expect(await a.share(new Map([['api.transactions/0', 3_000]]), 'api.transactions/0')).toBe(1_000);
    await b.release('api.transactions/1');
    expect(await a.share(new Map([['api.transactions/0', 3_000]]), 'api.transactions/0')).toBeUndefined();
    await redis.del(createKeyspace('vigil-it').key('clock', 'cluster-group', 'api.transactions'));
  });
});
