import { scanKeys, type Redis } from '@vigil/redis';
import { ENTRY_CAPPED, familyOf } from './key-families.js';

/** The soak's keys in Redis: their MEMORY USAGE in total and per family, their largest key, entries of the entry-capped families, and keys without a TTL. */
export interface SoakRedisMemory {
  keys: number;
  bytes: number;
  byFamily: Record<string, number>;
  keysByFamily: Record<string, number>;
  maxKeyByFamily: Record<string, number>;
  entriesByFamily: Record<string, number>;
  maxEntriesByFamily: Record<string, number>;
  withoutTtl: Record<string, number>;
}

/** Sums MEMORY USAGE over the soak's keys (SCAN of its prefix in its own database). */
export async function soakRedisMemory(redis: Redis, prefix: string): Promise<SoakRedisMemory> {
  const m: SoakRedisMemory = { keys: 0, bytes: 0, byFamily: {}, keysByFamily: {}, maxKeyByFamily: {}, entriesByFamily: {}, maxEntriesByFamily: {}, withoutTtl: {} };
  await scanKeys(redis, `${prefix}:*`, async (batch) => {
    // MEMORY USAGE and PTTL for every key, and HLEN for the keys of the entry-capped (hash) families.
    const p = redis.pipeline();
    const at: number[] = [];
    let replyCount = 0;
    for (const k of batch) {
      at.push(replyCount);
      p.memory('USAGE', k, 'SAMPLES', 0).pttl(k);
      replyCount += 2;
      if (ENTRY_CAPPED[familyOf(k, prefix)] !== undefined) {
        p.hlen(k);
        replyCount++;
      }
    }
    const replies = (await p.exec()) ?? [];
    batch.forEach((k, i) => {
      const r = at[i]!;
      const reply = (n: number) => replies[r + n]?.[1];
      count(m, familyOf(k, prefix), Number(reply(0) ?? 0), Number(reply(1)), Number(reply(2) ?? 0));
    });
  });
  return m;
}

/** Adds one key of `family` (its bytes, PTTL and, for an entry-capped family, its entries) to the sums. */
function count(m: SoakRedisMemory, family: string, bytes: number, pttl: number, entries: number): void {
  if (!bytes) return; // expired between SCAN and MEMORY USAGE
  m.keys++;
  m.bytes += bytes;
  m.byFamily[family] = (m.byFamily[family] ?? 0) + bytes;
  m.keysByFamily[family] = (m.keysByFamily[family] ?? 0) + 1;
  m.maxKeyByFamily[family] = Math.max(m.maxKeyByFamily[family] ?? 0, bytes);
  if (pttl === -1) m.withoutTtl[family] = (m.withoutTtl[family] ?? 0) + 1;
  if (ENTRY_CAPPED[family] !== undefined) {
    m.entriesByFamily[family] = (m.entriesByFamily[family] ?? 0) + entries;
    m.maxEntriesByFamily[family] = Math.max(m.maxEntriesByFamily[family] ?? 0, entries);
  }
}
