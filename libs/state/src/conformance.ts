import { describe, expect, it } from 'vitest';
import { emptyShard, type KeyParts, type ShardOps, type StateStore } from './types.js';

/** What a store's own test reads beside the StateStore interface. */
export interface StateProbe {
  /** The distinct members added to these sketches (SketchAddOp) together: PFCOUNT in Redis, sketchCount in memory. */
  sketchCount(store: StateStore, tag: string, keys: KeyParts[]): Promise<number> | number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The conformance suite every StateStore passes: the in-memory store in the
 * unit tests, the Redis store (single node and Cluster) in the integration
 * tests. Same operations, same results; that is what makes backtests over
 * memory and live detection over Redis give the same findings.
 */
export function stateConformance(name: string, makeStore: () => Promise<StateStore> | StateStore, tagPrefix: () => string, probe: StateProbe): void {
  const now = Date.UTC(2026, 10, 23, 12);
  const shard = (tag: string, build: (s: ShardOps) => void): ShardOps => {
    const s = emptyShard(tag);
    build(s);
    return s;
  };

  describe(`${name} state store`, () => {
    it('HINCRBY-style counters return their new values and accumulate across applies', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const ops = shard(tag, (s) => {
        s.incr.push({ key: ['rm', 'i/users/{id}', 1], field: 'n', by: 3, ttlMs: 60_000 });
        s.incr.push({ key: ['rm', 'i/users/{id}', 1], field: 'ls', by: 1_500_000, ttlMs: 60_000 });
        s.incr.push({ key: ['rm', 'i/users/{id}', 2], field: 'n', by: 0, ttlMs: 60_000 });
      });
      expect((await store.apply({ now, shards: [ops] }))[0]!.incr).toEqual([3, 1_500_000, 0]);
      expect((await store.apply({ now, shards: [ops] }))[0]!.incr).toEqual([6, 3_000_000, 0]);
    });

    it('min keeps the smallest value', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const at = (value: number) => shard(tag, (s) => s.min.push({ key: ['rm', 'o/v1', 5], field: 'rlp', value, ttlMs: 60_000 }));
      expect((await store.apply({ now, shards: [at(500)] }))[0]!.min).toEqual([500]);
      expect((await store.apply({ now, shards: [at(900)] }))[0]!.min).toEqual([500]);
      expect((await store.apply({ now, shards: [at(0)] }))[0]!.min).toEqual([0]);
    });

    it('max keeps the largest value', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const at = (value: number) => shard(tag, (s) => (s.max ??= []).push({ key: ['rm', 'o/v1', 5], field: 'rhp', value, ttlMs: 60_000 }));
      expect((await store.apply({ now, shards: [at(500)] }))[0]!.max).toEqual([500]);
      expect((await store.apply({ now, shards: [at(90)] }))[0]!.max).toEqual([500]);
      expect((await store.apply({ now, shards: [at(now)] }))[0]!.max).toEqual([now]);
      const read = shard(tag, (s) => s.reads.push(['rm', 'o/v1', 5]));
      expect((await store.apply({ now, shards: [read] }))[0]!).toMatchObject({ max: [], reads: [{ rhp: now }] });
    });

    it('min, max and first-seen marked renew move their key\'s TTL on every write; unmarked, it stays from creation', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      // Redis expires on its own clock and memory on the plans' `now`: both move by `step` between applies.
      const ttlMs = 1_200;
      const step = 800;
      const write = () =>
        shard(tag, (s) => {
          for (const renew of [true, false]) {
            const r = renew ? 'r' : 'k';
            s.min.push({ key: ['mn', r], field: 'v', value: 5, ttlMs, renew });
            (s.max ??= []).push({ key: ['mx', r], field: 'v', value: 7, ttlMs, renew });
            s.firstSeen.push({ key: ['fs', r], field: 'sig', value: 9, cap: 4, ttlMs, renew });
          }
        });
      const keys = ['mn', 'mx', 'fs'].flatMap((k) => [[k, 'r'], [k, 'k']]);
      expect((await store.apply({ now, shards: [write()] }))[0]!).toMatchObject({ min: [5, 5], max: [7, 7], firstSeen: [[1, 1], [1, 1]] });
      await sleep(step);
      // The second write is past half the first TTL: renewed keys now live to step + ttlMs, the others to ttlMs.
      expect((await store.apply({ now: now + step, shards: [write()] }))[0]!).toMatchObject({ min: [5, 5], max: [7, 7], firstSeen: [[0, 1], [0, 1]] });
      await sleep(step);
      const read = shard(tag, (s) => s.reads.push(...keys));
      expect((await store.apply({ now: now + 2 * step, shards: [read] }))[0]!.reads).toEqual([{ v: 5 }, {}, { v: 7 }, {}, { sig: 9 }, {}]);
    });

    it('sketches count the distinct members added, alone and together, within 2%', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const members = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `principal:u${from + i}`);
      const add = (key: KeyParts, m: string[]) => shard(tag, (s) => (s.sketches ??= []).push({ key, members: m, ttlMs: 60_000 }));
      // 1,000 distinct members in two overlapping adds of 700 (each past one PFADD's 500).
      await store.apply({ now, shards: [add(['hll', 'ids', 1], members(0, 700))] });
      const [r] = await store.apply({ now, shards: [add(['hll', 'ids', 1], members(300, 1_000)), add(['hll', 'ids', 2], members(900, 1_100))] });
      expect(r).toMatchObject({ incr: [], max: [] });
      const count = (keys: KeyParts[]) => probe.sketchCount(store, tag, keys);
      expect(Math.abs((await count([['hll', 'ids', 1]])) - 1_000)).toBeLessThanOrEqual(20);
      expect(Math.abs((await count([['hll', 'ids', 1], ['hll', 'ids', 2]])) - 1_100)).toBeLessThanOrEqual(22);
      // No members, no sketch.
      await store.apply({ now, shards: [add(['hll', 'ids', 3], [])] });
      expect(await count([['hll', 'ids', 3]])).toBe(0);
    });

    it('fences keep the larger offset, replace one at or past staleFrom, and read back before a batch', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const at = (value: number, expected: number | null, staleFrom?: number) => shard(tag, (s) => s.fences.push({ key: ['fence'], field: 'transactions/3', value, staleFrom, expected, ttlMs: 60_000 }));
      const read = async (field: string) => (await store.prepare({ threats: false, texts: [], fences: [{ tag, key: ['fence'], field }] })).fences;
      expect(await read('transactions/3')).toEqual([null]);
      expect((await store.apply({ now, shards: [at(100, null)] }))[0]!.fences).toEqual([100]);
      // A replayed batch ends before the fence: it stays.
      expect((await store.apply({ now, shards: [at(50, 100, 200)] }))[0]!.fences).toEqual([100]);
      expect(await read('transactions/3')).toEqual([100]);
      expect(await read('transactions/4')).toEqual([null]);
      // The partition's high watermark is 60: a fence at 100 is from the topic's earlier life.
      expect((await store.apply({ now, shards: [at(20, 100, 60)] }))[0]!.fences).toEqual([20]);
      expect((await store.apply({ now, shards: [at(10, 20, 60)] }))[0]!.fences).toEqual([20]);
      expect(await read('transactions/3')).toEqual([20]);
    });

    it('a fence that moved since it was read refuses its shard\'s counters, but not its texts', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const batch = (value: number, expected: number | null) =>
        shard(tag, (s) => {
          s.fences.push({ key: ['fence'], field: 'transactions/1', value, expected, ttlMs: 60_000 });
          s.incr.push({ key: ['am', 'i', 7], field: 'n', by: 10, ttlMs: 60_000 });
          s.texts.push({ key: ['sc', 7], fields: [[`principal:u${value}`, '{}']], ttlMs: 60_000 });
        });
      const first = (await store.apply({ now, shards: [batch(9, null)] }))[0]!;
      expect(first.fenceMoved).toBeFalsy();
      expect(first.incr).toEqual([10]);
      // Read at null, but another consumer moved it to 9 meanwhile.
      const refused = (await store.apply({ now, shards: [batch(19, null)] }))[0]!;
      expect(refused.fenceMoved).toBe(true);
      expect(refused.incr).toEqual([]);
      const after = shard(tag, (s) => s.reads.push(['am', 'i', 7]));
      expect((await store.apply({ now, shards: [after] }))[0]!.reads).toEqual([{ n: 10 }]);
      expect((await store.prepare({ threats: false, texts: [{ tag, key: ['sc', 7], fields: ['principal:u19'] }], fences: [{ tag, key: ['fence'], field: 'transactions/1' }] }))).toMatchObject({ texts: [['{}']], fences: [9] });
      // Read again: at 9.
      expect((await store.apply({ now, shards: [batch(19, 9)] }))[0]!.incr).toEqual([20]);
    });

    it('capped sets stop growing at their cap and count distinct members', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const add = (members: string[]) => shard(tag, (s) => s.setAdd.push({ key: ['sid', 'principal:u1', 'i/users/{id}', 9], members, cap: 5, ttlMs: 60_000 }));
      expect((await store.apply({ now, shards: [add(['1', '2', '2', '3'])] }))[0]!.setAdd).toEqual([3]);
      expect((await store.apply({ now, shards: [add(['3', '4', '5', '6', '7'])] }))[0]!.setAdd).toEqual([5]);
      expect((await store.apply({ now, shards: [add(['8'])] }))[0]!.setAdd).toEqual([5]);
    });

    it('first-seen tells new, known and full apart, and caps the hash', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const seen = (field: string) => shard(tag, (s) => s.firstSeen.push({ key: ['rsig', 'i/orders'], field, value: now, cap: 2, ttlMs: 60_000 }));
      expect((await store.apply({ now, shards: [seen('sigA')] }))[0]!.firstSeen).toEqual([[1, 1]]);
      expect((await store.apply({ now, shards: [seen('sigA')] }))[0]!.firstSeen).toEqual([[0, 1]]);
      expect((await store.apply({ now, shards: [seen('sigB')] }))[0]!.firstSeen).toEqual([[1, 2]]);
      expect((await store.apply({ now, shards: [seen('sigC')] }))[0]!.firstSeen).toEqual([[-1, 2]]);
    });

    it('reads come after the writes of the same apply, with integer values, and {} for a missing hash', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const ops = shard(tag, (s) => {
        s.incr.push({ key: ['sw', 'ip:1.2.3.4', 7], field: 'n', by: 2, ttlMs: 60_000 });
        s.incr.push({ key: ['sw', 'ip:1.2.3.4', 7], field: 'gs', by: 4000, ttlMs: 60_000 });
        s.firstSeen.push({ key: ['rmeta', 'i/x'], field: 'first', value: now, cap: 4, ttlMs: 60_000 });
        s.reads.push(['sw', 'ip:1.2.3.4', 7], ['sw', 'ip:9.9.9.9', 7], ['rmeta', 'i/x']);
      });
      const [r] = await store.apply({ now, shards: [ops] });
      expect(r!.reads).toEqual([{ n: 2, gs: 4000 }, {}, { first: now }]);
    });

    it('keeps shards apart and answers each in order, with untrusted parts escaped', async () => {
      const store = await makeStore();
      const a = tagPrefix();
      const b = `${tagPrefix()}:{x}`;
      const key = ['sm', 'ip:2001:db8::1', 'a b/{c}'];
      const results = await store.apply({
        now,
        shards: [
          shard(a, (s) => s.incr.push({ key, field: 'n', by: 1, ttlMs: 60_000 })),
          shard(b, (s) => s.incr.push({ key, field: 'n', by: 5, ttlMs: 60_000 })),
        ],
      });
      expect(results.map((r) => r.incr)).toEqual([[1], [5]]);
    });

    it('text hashes (checkpoints) are written with a batch and read back before the next, null when missing', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const write = (fields: [string, string][]) => shard(tag, (s) => s.texts.push({ key: ['sc', 7], fields, ttlMs: 60_000 }));
      expect((await store.apply({ now, shards: [write([['principal:u1', '{"n":1}'], ['ip:2001:db8::1', 'x y']])] }))[0]!.incr).toEqual([]);
      await store.apply({ now, shards: [write([['principal:u1', '{"n":2}']])] });
      const got = await store.prepare({
        threats: false,
        texts: [
          { tag, key: ['sc', 7], fields: ['principal:u1', 'ip:2001:db8::1', 'principal:nobody'] },
          { tag, key: ['sc', 8], fields: ['principal:u1'] },
          { tag, key: ['sc', 7], fields: [] },
        ],
      });
      expect(got).toEqual({ threatsVersion: undefined, texts: [['{"n":2}', 'x y', null], [null], []], fences: [], admitted: [] });
      expect(typeof (await store.prepare({ threats: true, texts: [] })).threatsVersion).toBe('string');
    });

    it('capped text hashes update known fields and drop new ones beyond the cap, counting them', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const write = (fields: [string, string][]) => shard(tag, (s) => s.texts.push({ key: ['sc', 9], fields, ttlMs: 60_000, cap: 2 }));
      expect((await store.apply({ now, shards: [write([['a', '1'], ['b', '1']])] }))[0]!.dropped).toBe(0);
      expect((await store.apply({ now, shards: [write([['c', '1'], ['a', '2'], ['d', '1']])] }))[0]!.dropped).toBe(2);
      const got = await store.prepare({ threats: false, texts: [{ tag, key: ['sc', 9], fields: ['a', 'b', 'c', 'd'] }] });
      expect(got.texts).toEqual([['2', '1', null, null]]);
    });

    it('admits members into a capped hash: known ones always, new ones while there is room', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      const admit = (members: string[]) => store.prepare({ threats: false, texts: [], admit: [{ tag, key: ['routes', 3], members, cap: 3, ttlMs: 60_000 }, { tag, key: ['routes', 4], members: [], cap: 3, ttlMs: 60_000 }] });
      expect((await admit(['i/a', 'i/b'])).admitted).toEqual([[true, true], []]);
      expect((await admit(['i/c', 'i/d', 'i/a', 'i/{weird key}'])).admitted).toEqual([[true, false, true, false], []]);
      expect((await admit(['i/d', 'i/b', 'i/c'])).admitted).toEqual([[false, true, true], []]);
    });

    it('text fields are deleted after the batch writes (a checkpoint that moved to another hash)', async () => {
      const store = await makeStore();
      const tag = tagPrefix();
      await store.apply({ now, shards: [shard(tag, (s) => s.texts.push({ key: ['sc', 7], fields: [['principal:u1', 'a'], ['principal:u2', 'b']], ttlMs: 60_000 }))] });
      await store.apply({
        now,
        shards: [
          shard(tag, (s) => {
            s.texts.push({ key: ['sc', 8], fields: [['principal:u1', 'a2']], ttlMs: 60_000 });
            (s.textDeletes ??= []).push({ key: ['sc', 7], fields: ['principal:u1', 'principal:nobody'] }, { key: ['sc', 9], fields: ['principal:u1'] });
          }),
        ],
      });
      const got = await store.prepare({
        threats: false,
        texts: [
          { tag, key: ['sc', 7], fields: ['principal:u1', 'principal:u2'] },
          { tag, key: ['sc', 8], fields: ['principal:u1'] },
        ],
      });
      expect(got.texts).toEqual([[null, 'b'], ['a2']]);
    });

    it('claims finding ids for a while, with the severity published, and answers which are claimed', async () => {
      const store = await makeStore();
      const ids = [`bot-${tagPrefix()}`, `burst-${tagPrefix()}`];
      expect(await store.claimed(ids)).toEqual(new Map());
      await store.claim([{ id: ids[0]!, severity: 'high' }], 60_000, now);
      expect(await store.claimed(ids)).toEqual(new Map([[ids[0], 'high']]));
      // A later claim of the same id (the window published again, at a higher severity) replaces it.
      await store.claim([{ id: ids[0]!, severity: 'critical' }, { id: ids[1]!, severity: 'low' }], 60_000, now);
      expect(await store.claimed(ids)).toEqual(new Map([[ids[0], 'critical'], [ids[1], 'low']]));
    });
  });
}
