import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, createRedis, deletePrefix, type RedisClient } from '@vigil/redis';
import { RedisStateStore } from '@vigil/state';
import { caseName, GOLDEN_BATCH_SIZES, goldenScenarios, readGolden, readStateDigests, runGoldenCase, stateDigest, writeStateDigests, writingGolden } from '../golden/golden.js';
import { stackEnv, uniqueName } from '../support/helpers.js';

/**
 * Same behaviour over Redis: every simulator scenario, batches of 25 (on seed
 * 2's smaller traffic: a round trip a batch), 500 and 5,000 (seed 1), with
 * the state in the real Redis, gives the findings of the golden fixtures (the
 * memory runs' and the old engine's, which are the same), and leaves the same
 * keys and values in Redis as the old engine did (a digest per case).
 */
describe('the engine against its golden outputs (Redis state)', () => {
  let redis: RedisClient;
  const digests: Record<string, string> = {};
  beforeAll(async () => {
    redis = createRedis({ url: stackEnv().REDIS_URL });
    await connectRedis(redis);
  });
  afterAll(async () => {
    await closeRedis(redis);
  });

  for (const batchSize of GOLDEN_BATCH_SIZES) {
    const seed = batchSize === 25 ? 2 : 1;
    it(`seed ${seed}, batches of ${batchSize}: every scenario gives the fixture's findings`, async () => {
      const golden = readGolden(seed);
      for (const scenario of goldenScenarios) {
        const c = { scenario, seed, batchSize };
        const prefix = uniqueName('golden').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
        const run = await runGoldenCase(c, new RedisStateStore({ redis, prefix }));
        digests[caseName(c)] = await stateDigest(redis, prefix);
        await deletePrefix(redis, prefix);
        expect(run, caseName(c)).toEqual(golden[caseName(c)]);
      }
    }, 900_000);
  }

  it('left the same keys and values in Redis as the engine before its restructuring', () => {
    if (writingGolden) writeStateDigests(digests);
    expect(Object.keys(digests)).toHaveLength(goldenScenarios.length * GOLDEN_BATCH_SIZES.length);
    expect(digests).toEqual(readStateDigests());
  });
});
