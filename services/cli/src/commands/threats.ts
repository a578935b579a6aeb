import { readFileSync } from 'node:fs';
import { parseConfigText } from '@vigil/config';
import { parseThreatsDocument } from '@vigil/detectors';
import { closeRedis, connectRedis, createRedis } from '@vigil/redis';
import { saveThreatsDocument } from '@vigil/state';

/** `vigil threats load FILE`: validates the file, then replaces the store in Redis; running detectors pick it up on their next batch. */
export async function loadThreats(file: string, redisUrl: string, prefix: string, clusterNodes?: string[]): Promise<{ entries: number; version: number }> {
  const entries = parseThreatsDocument(parseConfigText(readFileSync(file, 'utf8'), file));
  const redis = createRedis({ url: redisUrl, clusterNodes, connectionName: 'vigil-threats' });
  try {
    await connectRedis(redis);
    const version = await saveThreatsDocument(redis, prefix, entries);
    return { entries: entries.length, version };
  } finally {
    await closeRedis(redis);
  }
}
