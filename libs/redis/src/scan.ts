import { VigilError } from '@vigil/errors';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';

/** Keys a SCAN page asks for: enough to be quick over a big keyspace, small enough not to hold Redis up. */
const PAGE = 1000;

/** The nodes whose keyspaces together are the client's: the client itself, or every master of a cluster. */
function keyspaceNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

async function scanNode(node: Redis, pattern: string, each: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', PAGE);
    cursor = next;
    if (keys.length > 0) await each(keys);
  } while (cursor !== '0');
}

/**
 * Every key matching `pattern` (SCAN, so Redis is not blocked; on a cluster,
 * on every master), page by page to `each`, or all at once when `each` is
 * left out. A key written or deleted during the scan may be missed or seen
 * twice, as SCAN guarantees.
 */
export async function scanKeys(client: RedisClient, pattern: string, each?: (keys: string[]) => Promise<void>): Promise<string[]> {
  const all: string[] = [];
  for (const node of keyspaceNodes(client)) {
    await scanNode(node, pattern, async (keys) => {
      if (each) await each(keys);
      else all.push(...keys);
    });
  }
  return all;
}

/**
 * Deletes every key under `prefix` (`prefix:*`) with UNLINK, page by page,
 * and returns how many it deleted: what a benchmark or test run leaves on a
 * shared Redis (counters and checkpoints with hours of TTL). The prefix must
 * be a whole key prefix of its own; glob characters in it are matched
 * literally.
 */
export async function deletePrefix(client: RedisClient, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new VigilError('VIGIL_ARGUMENT', 'deletePrefix needs a non-empty prefix');
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
  let deleted = 0;
  for (const node of keyspaceNodes(client)) {
    await scanNode(node, pattern, async (keys) => {
      if (isCluster(client)) {
        // One node holds many slots, and a multi-key command must stay in one: a key at a time, pipelined.
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        for (const [err, n] of (await pipeline.exec()) ?? []) {
          if (err) throw err;
          deleted += Number(n);
        }
      } else deleted += await node.unlink(...keys);
    });
  }
  return deleted;
}
