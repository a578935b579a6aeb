import type { RedisClient } from '@vigil/redis';
import { createKeyspace } from '@vigil/redis';
import { threatKeys } from './redis.js';

/**
 * The known-threats store in Redis: one JSON document and a version counter,
 * written together in one transaction. Running detectors compare the version
 * once per batch and reload the document when it changed.
 */
export async function saveThreatsDocument(redis: RedisClient, prefix: string, entries: readonly unknown[]): Promise<number> {
  const keys = threatKeys(createKeyspace(prefix));
  const replies = await redis.multi().set(keys.data, JSON.stringify(entries)).incr(keys.version).exec();
  const failed = replies?.find(([err]) => err);
  if (failed) throw failed[0];
  return Number(replies?.[1]?.[1] ?? 0);
}

export async function loadThreatsDocument(redis: RedisClient, prefix: string): Promise<unknown[]> {
  const text = await redis.get(threatKeys(createKeyspace(prefix)).data);
  if (!text) return [];
  const parsed = JSON.parse(text) as unknown;
  return Array.isArray(parsed) ? parsed : [];
}
