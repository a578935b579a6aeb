import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '@vigil/redis';
import { createSilenceStore, createSuppressionStore, newSilenceId, RecordWatcher, scopeOf, suppressionId, type Silence, type Suppression } from '@vigil/records';
import { stackEnv, uniqueName } from '../support/helpers.js';

/**
 * Suppressions and silences as they are stored: one hash of id → JSON and a
 * version under the record kind's hash tag. Detectors and notifiers of
 * another release read these keys, so their names and values are pinned here.
 */
describe('expiring records on the real Redis', () => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = createRedis({ url: stackEnv().REDIS_URL });
    await connectRedis(redis);
  });
  afterAll(() => closeRedis(redis));
  const newPrefix = () => uniqueName('rec').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const T = 1_800_000_000_000;
  const finding = { api: 'accounts', route: '/users/{id}', subject: { kind: 'ip' as const, value: '203.0.113.9' } };

  it('a suppression is one JSON field of {suppressions}:data, and every write bumps {suppressions}:version', async () => {
    const prefix = newPrefix();
    const store = createSuppressionStore(redis, prefix);
    const scope = scopeOf(finding, 'subject');
    const record: Suppression = { id: suppressionId('bot', scope), detector: 'bot', scope, createdAt: T, expiresAt: T + 60_000, createdBy: 'alice', reason: 'our crawler' };
    expect(await store.put(record, T)).toEqual(record);
    expect(await redis.hgetall(`${prefix}:{suppressions}:data`)).toEqual({ [record.id]: JSON.stringify(record) });
    expect(await redis.get(`${prefix}:{suppressions}:version`)).toBe('1');
    expect(await store.list(T)).toEqual([record]);
    expect(await store.list(T + 60_000)).toEqual([]);
    expect(await store.remove('sup-none', T)).toBe(false);
    expect(await store.remove(record.id, T)).toBe(true);
    expect(await redis.hlen(`${prefix}:{suppressions}:data`)).toBe(0);
    expect(await store.currentVersion()).toBe('2');
  });

  it('a silence is one JSON field of {silences}:data; an expired one is ignored, then pruned by the next write', async () => {
    const prefix = newPrefix();
    const store = createSilenceStore(redis, prefix);
    const old: Silence = { id: newSilenceId(), matcher: { api: ['accounts'] }, createdAt: T, expiresAt: T + 1_000, createdBy: 'bob' };
    const live: Silence = { id: newSilenceId(), matcher: { detector: ['bot'] }, createdAt: T + 1, expiresAt: T + 60_000, createdBy: 'bob', incidentId: 'inc-1', comment: 'maintenance' };
    expect(old.id).toMatch(/^sil-[A-Za-z0-9_-]{16}$/);
    await store.put(old, T);
    expect(await redis.hget(`${prefix}:{silences}:data`, old.id)).toBe(JSON.stringify(old));
    expect(await store.list(T + 1_000)).toEqual([]);
    await store.put(live, T + 1_000);
    expect(await redis.hkeys(`${prefix}:{silences}:data`)).toEqual([live.id]);
    expect(await redis.get(`${prefix}:{silences}:version`)).toBe('2');
    await expect(store.put({ ...live, id: 'not-a-silence' }, T)).rejects.toThrow();
  });

  it('a watcher reloads the records only when the version moved', async () => {
    const prefix = newPrefix();
    const store = createSilenceStore(redis, prefix);
    let now = T;
    const watcher = new RecordWatcher({ store, now: () => now });
    const list = vi.spyOn(store, 'list');
    await watcher.refresh();
    expect(watcher.size).toBe(0);
    const silence: Silence = { id: newSilenceId(), matcher: { api: ['accounts'] }, createdAt: T, expiresAt: T + 5_000, createdBy: 'carol' };
    await store.put(silence, T);
    list.mockClear();
    await watcher.refresh();
    await watcher.refresh();
    expect(list).toHaveBeenCalledTimes(1);
    expect(watcher.find((s) => s.matcher.api?.includes('accounts') === true)).toEqual(silence);
    now = T + 5_000;
    expect(watcher.find(() => true)).toBeUndefined();
  });
});
