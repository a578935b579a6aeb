import { describe, expect, it } from 'vitest';
import { stateConformance } from './conformance.js';
import { MemoryStateStore } from './memory.js';
import { emptyShard } from './types.js';

let n = 0;
stateConformance('memory', () => new MemoryStateStore(), () => `t${++n}`, {
  sketchCount: (store, tag, keys) => (store as MemoryStateStore).sketchCount(tag, keys),
});

describe('memory state store expiry', () => {
  it('forgets keys whose TTL passed in event time, so a long replay stays bounded', async () => {
    const store = new MemoryStateStore();
    const t0 = Date.UTC(2026, 0, 1);
    for (let minute = 0; minute < 600; minute++) {
      const s = emptyShard('api');
      s.incr.push({ key: ['rm', 'i/x', minute], field: 'n', by: 1, ttlMs: 10 * 60_000 });
      await store.apply({ now: t0 + minute * 60_000, shards: [s] });
    }
    expect(store.size).toBeLessThan(100);
    const read = emptyShard('api');
    read.reads.push(['rm', 'i/x', 0], ['rm', 'i/x', 599]);
    const [r] = await store.apply({ now: t0 + 599 * 60_000, shards: [read] });
    expect(r!.reads).toEqual([{}, { n: 1 }]);
  });
});

describe('memory state store sketches', () => {
  it('keep at most 100,000 members a key, and expire with their key', async () => {
    const store = new MemoryStateStore();
    const t0 = Date.UTC(2026, 0, 1);
    const s = emptyShard('api');
    s.sketches!.push({ key: ['hll', 1], members: Array.from({ length: 100_050 }, (_, i) => `m${i}`), ttlMs: 60_000 });
    await store.apply({ now: t0, shards: [s] });
    expect(store.sketchCount('api', [['hll', 1]])).toBe(100_000);
    expect(store.sketchCount('api', [['hll', 2]])).toBe(0);
    await store.apply({ now: t0 + 60_000, shards: [] });
    expect(store.sketchCount('api', [['hll', 1]])).toBe(0);
  });
});
