export * from './types.js';
export { MemoryStateStore } from './memory.js';
export { RedisStateStore, APPLY_SCRIPT, threatKeys, type RedisStateStoreOptions } from './redis.js';
export { saveThreatsDocument, loadThreatsDocument } from './threats-store.js';
