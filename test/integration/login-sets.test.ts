import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTransaction } from '@vigil/contracts';
import { DetectionEngine, detectorsConfigSchema } from '@vigil/detectors';
import { closeRedis, connectRedis, createRedis, deletePrefix, scanKeys, type RedisClient } from '@vigil/redis';
import { RedisStateStore, type ShardResult, type StatePlan } from '@vigil/state';
import { MINUTE, T0, tx } from '../../libs/detectors/src/testing.js';
import { stackEnv, uniqueName } from '../support/helpers.js';

/**
 * A login window's sets of IPs and principals (what credential_stuffing
 * counts distinct, shared by every replica) on the real Redis: the detector
 * sends each member once an hour, and when a set is found smaller than what
 * it wrote (it expired), it writes every member again with the next batch.
 */
class CountingStore extends RedisStateStore {
  /** Per batch applied, the members sent to login IP sets. */
  readonly ipMembers: number[] = [];

  override async apply(plan: StatePlan): Promise<ShardResult[]> {
    this.ipMembers.push(plan.shards.flatMap((s) => s.setAdd).filter((o) => o.key[0] === 'lip').reduce((n, o) => n + o.members.length, 0));
    return super.apply(plan);
  }
}

/** 30 logins to POST /login, one from each of 30 IPs, inside a minute from 3 minutes past T0 (one window on each login grid). */
function logins(batch: number): ApiTransaction[] {
  return Array.from({ length: 30 }, (_, i) =>
    tx({ id: `login-${batch}-${i}`, timestamp: T0 + 3 * MINUTE + batch * 5_000 + i * 100, method: 'POST', path: '/login', status: 401, clientIp: `203.0.113.${i}`, principal: `user-${i}` }),
  );
}

describe('login window sets on Redis', () => {
  let redis: RedisClient;
  const prefix = uniqueName('vigil-login-sets');
  beforeAll(async () => {
    redis = createRedis({ url: stackEnv().REDIS_URL });
    await connectRedis(redis);
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await closeRedis(redis);
  });

  const sizes = async (keys: string[]) => Promise.all(keys.map((k) => redis.scard(k)));

  it('sends each IP once, holds them all, and writes them all again after a set was lost', async () => {
    const store = new CountingStore({ redis, prefix });
    const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store });
    const run = async (batch: number) => engine.markPublished((await engine.process(logins(batch))).findings);

    await run(0);
    await run(1);
    const keys = (await scanKeys(redis, `${prefix}*lip*`)).sort();
    // The window on each grid, each holding the 30 IPs; the second batch sent one IP a window (its write renews nothing else).
    expect(keys).toHaveLength(2);
    expect(await sizes(keys)).toEqual([30, 30]);
    expect(store.ipMembers).toEqual([60, 2]);

    // Both sets lost (as if expired): the next batch finds them smaller than what was written, the one after refills them.
    await redis.del(...keys);
    await run(2);
    expect(await sizes(keys)).toEqual([1, 1]);
    await run(3);
    expect(await sizes(keys)).toEqual([30, 30]);
    expect(store.ipMembers).toEqual([60, 2, 2, 60]);
    await run(4);
    expect(store.ipMembers.at(-1)).toBe(2);
  });
});
