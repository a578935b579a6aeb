export { createRedis, connectRedis, openRedis, closeRedis, redisAnswers, isCluster, type RedisClient, type RedisConfig } from './client.js';
export { createKeyspace, escapeKeyPart, unescapeKeyPart, MAX_KEY_PART, type Keyspace } from './keys.js';
export type { Cluster, Redis } from 'ioredis';
export { loadScripts, scriptDefinition, type ScriptDefinition } from './scripts.js';
export { deletePrefix, scanKeys } from './scan.js';
