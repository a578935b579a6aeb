import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { StateError, VigilError } from '@vigil/errors';

export type RedisClient = Redis | Cluster;

export interface RedisConfig {
  /** redis://[user:password@]host:port[/db] or rediss://… for TLS. Used for a single node, and for credentials with a cluster. */
  url: string;
  /** host:port seeds of a Redis Cluster; when set, a cluster client is built. */
  clusterNodes?: readonly string[] | undefined;
  /** Name of the connection, shown by CLIENT LIST. */
  connectionName?: string;
}

/**
 * Builds an ioredis client for a single node or a Redis Cluster. It connects
 * lazily: nothing is opened until the first command or `connectRedis`.
 */
export function createRedis(config: RedisConfig): RedisClient {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch (err) {
    throw new VigilError('VIGIL_ARGUMENT', 'REDIS_URL is not a URL (expected redis://host:port)', { cause: err });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new VigilError('VIGIL_ARGUMENT', `REDIS_URL must use redis:// or rediss://, got ${url.protocol}//`);
  }
  const common: RedisOptions = {
    lazyConnect: true,
    connectionName: config.connectionName ?? 'vigil',
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  };
  if (config.clusterNodes && config.clusterNodes.length > 0) {
    const nodes = config.clusterNodes.map((hp) => {
      const m = /^([^\s:/]+):(\d{1,5})$/.exec(hp);
      if (!m) throw new VigilError('VIGIL_ARGUMENT', `Redis cluster node must be host:port, got ${JSON.stringify(hp)}`);
      return { host: m[1]!, port: Number(m[2]) };
    });
    return new Cluster(nodes, { lazyConnect: true, redisOptions: common, scaleReads: 'master', clusterRetryStrategy: (times) => Math.min(100 * 2 ** times, 2000) });
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new VigilError('VIGIL_ARGUMENT', 'REDIS_URL database must be a number, e.g. redis://host:6379/0');
  return new Redis({ ...common, host: url.hostname || '127.0.0.1', port: url.port ? Number(url.port) : 6379, db });
}

/**
 * A service's Redis: built from its config, its connection errors reported to `onError` (ioredis retries on its
 * own; an unreported error would crash the process), and connected.
 */
export async function openRedis(config: RedisConfig, onError: (err: Error) => void): Promise<RedisClient> {
  const redis = createRedis(config);
  redis.on('error', onError);
  await connectRedis(redis);
  return redis;
}

/** True for a Redis Cluster client (whose pipelines must stay within one node). */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Opens the connection (or the cluster's) and checks it with PING. */
export async function connectRedis(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'wait') await client.connect();
    await client.ping();
  } catch (err) {
    throw new StateError('VIGIL_REDIS_CONNECT', `could not connect to Redis: ${(err as Error).message.replace(/\/\/[^@\s]*@/g, '//***@')}`, { cause: err, retriable: true });
  }
}

/** True when Redis answers PING; for readiness checks. */
export async function redisAnswers(client: RedisClient): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}

export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end' || client.status === 'wait') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
