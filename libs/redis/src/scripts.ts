import type { RedisClient } from './client.js';

export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/**
 * Registers Lua scripts on a client under their versioned names, unless a
 * store built earlier on the same client did already; ioredis then runs
 * each by EVALSHA and loads it again after a Redis restart.
 */
export function defineScripts(client: RedisClient, scripts: Readonly<Record<string, ScriptDefinition>>): void {
  const registered = client as unknown as Record<string, unknown>;
  for (const [name, def] of Object.entries(scripts)) {
    if (typeof registered[name] !== 'function') client.defineCommand(name, def);
  }
}
