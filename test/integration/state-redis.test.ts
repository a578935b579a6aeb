import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, createKeyspace, createRedis, escapeKeyPart, type RedisClient } from '@vigil/redis';
import { RedisStateStore, type KeyParts, type StateStore } from '@vigil/state';
import { stateConformance, type StateProbe } from '../../libs/state/src/conformance.js';
import { startLocalCluster, type LocalCluster } from '../support/redis-cluster.js';
import { stackEnv, uniqueName } from '../support/helpers.js';

const clients: RedisClient[] = [];
let cluster: LocalCluster | undefined;
afterAll(async () => {
  await Promise.all(clients.map(closeRedis));
  await cluster?.stop();
});

/** Each store's client, for the probe to read what the store wrote. */
const clientOf = new WeakMap<StateStore, RedisClient>();
function storeOn(redis: RedisClient): RedisStateStore {
  const store = new RedisStateStore({ redis, prefix: 'vigil-it' });
  clientOf.set(store, redis);
  return store;
}

/** Sketches counted with PFCOUNT, on the keys the store builds (`vigil-it:{tag}:parts…`). */
const probe: StateProbe = {
  sketchCount: (store: StateStore, tag: string, keys: KeyParts[]) =>
    clientOf.get(store)!.pfcount(...keys.map((k) => `${createKeyspace('vigil-it').key(tag)}:${k.map((p) => escapeKeyPart(String(p))).join(':')}`)),
};

async function singleNode(): Promise<RedisStateStore> {
  const redis = createRedis({ url: stackEnv().REDIS_URL });
  clients.push(redis);
  await connectRedis(redis);
  return storeOn(redis);
}

let n = 0;
stateConformance('Redis (single node)', singleNode, () => uniqueName(`s${++n}`), probe);

describe('Redis state store on a Redis Cluster', () => {
  let clusterNodes: string[];
  beforeAll(async () => {
    if (process.env.REDIS_CLUSTER_NODES) clusterNodes = process.env.REDIS_CLUSTER_NODES.split(',');
    else {
      cluster = await startLocalCluster();
      clusterNodes = cluster.nodes;
    }
  });
  stateConformance(
    'Redis (cluster)',
    async () => {
      const redis = createRedis({ url: 'redis://127.0.0.1:6379', clusterNodes });
      clients.push(redis);
      await connectRedis(redis);
      return storeOn(redis);
    },
    () => uniqueName(`c${++n}`),
    probe,
  );
});

describe('Redis state store', () => {
  it('applies a batch of many shards in one round trip on a single node, and every key gets a TTL', async () => {
    const store = await singleNode();
    const redis = clients[clients.length - 1]!;
    const tags = Array.from({ length: 10 }, (_, i) => uniqueName(`rt${i}`));
    const before = store.roundTrips;
    await store.apply({
      now: Date.now(),
      shards: tags.map((tag) => ({
        tag,
        incr: [{ key: ['rm', 'i/x', 1], field: 'n', by: 1, ttlMs: 120_000 }],
        min: [{ key: ['rm', 'i/x', 1], field: 'rlp', value: 10, ttlMs: 120_000 }],
        setAdd: [{ key: ['sid', 'ip:1', 'i/x', 1], members: ['a', 'b'], cap: 10, ttlMs: 60_000 }],
        firstSeen: [{ key: ['rsig', 'i/x'], field: 'sig', value: 1, cap: 4, ttlMs: 90_000 }],
        fences: [{ key: ['fence'], field: 'transactions/0', value: 41, expected: null, ttlMs: 100_000 }],
        reads: [],
        texts: [{ key: ['sc', 3], fields: [['ip:1', '{}']], ttlMs: 110_000 }],
      })),
    });
    expect(store.roundTrips - before).toBe(1);
    for (const tag of tags) {
      const keys = await redis.keys(`vigil-it:{${tag}}:*`);
      expect(keys.length).toBe(5);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
      }
      expect(await redis.pttl(`vigil-it:{${tag}}:rm:i/x:1`)).toBeGreaterThan(100_000);
      expect(await redis.pttl(`vigil-it:{${tag}}:sc:3`)).toBeGreaterThan(100_000);
      expect(await redis.hget(`vigil-it:{${tag}}:fence`, 'transactions/0')).toBe('41');
    }
  });
});
