import { readFileSync } from 'node:fs';
import { VigilError } from '@vigil/errors';
import type { RedisClient } from './client.js';

/** What ioredis's defineCommand takes. */
export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/** `<name>-<numKeys>.lua`, as bullmq names its commands: the key count is part of the name. */
const FILE_NAME = /^([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-(\d+)\.lua$/;

function refuse(file: string, problem: string): never {
  throw new VigilError('VIGIL_ARGUMENT', `Lua script ${file}: ${problem}`);
}

/**
 * Reads one script file and checks it follows the scheme of every vigil
 * script: named `<name>-<numKeys>.lua`, opening with a `--[[ … ]]` header
 * whose first line is `<name> (<numKeys> key[s])` and which lists each
 * KEYS[i], the ARGV and what it returns. The body may use no key past
 * numKeys: Redis Cluster routes a script by the keys it declares.
 */
export function scriptDefinition(url: URL): ScriptDefinition {
  const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const named = FILE_NAME.exec(file);
  if (!named) refuse(file, 'the file name must be <name>-<numKeys>.lua');
  const [, name, keys] = named;
  const numberOfKeys = Number(keys);
  let lua: string;
  try {
    lua = readFileSync(url, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ARGUMENT', `Lua script ${file} could not be read (${url.pathname})`, { cause: err });
  }
  const end = lua.indexOf(']]');
  if (!lua.startsWith('--[[') || end < 0) refuse(file, 'it must open with a --[[ … ]] header');
  const header = lua.slice(4, end);
  const body = lua.slice(end + 2);
  const title = `${name} (${numberOfKeys} ${numberOfKeys === 1 ? 'key' : 'keys'})`;
  if (header.trim().split('\n')[0]!.trim() !== title) refuse(file, `the header must open with "${title}"`);
  for (let i = 1; i <= numberOfKeys; i++) if (!header.includes(`KEYS[${i}]`)) refuse(file, `the header does not describe KEYS[${i}]`);
  if (!header.includes('ARGV')) refuse(file, 'the header does not describe ARGV');
  if (!/^\s*Returns\b/m.test(header)) refuse(file, 'the header does not say what it returns');
  for (const [, index] of body.matchAll(/KEYS\[(\d+)\]/g)) {
    if (Number(index) > numberOfKeys) refuse(file, `the body uses KEYS[${index}] but the name declares ${numberOfKeys}`);
  }
  return { numberOfKeys, lua };
}

/**
 * Registers scripts on a client under their versioned names, each read from
 * its file in `dir` (a folder URL, e.g. `new URL('../lua/', import.meta.url)`,
 * which holds from src/ and dist/ alike). A name a store built earlier on the
 * same client registered already is left as it is. ioredis then runs each by
 * EVALSHA and loads it again after a Redis restart.
 *
 *   loadScripts(redis, new URL('../lua/', import.meta.url), { vigilOutboxClaimV2: 'claim-1.lua' })
 */
export function loadScripts(client: RedisClient, dir: URL, files: Readonly<Record<string, string>>): void {
  if (!dir.href.endsWith('/')) throw new VigilError('VIGIL_ARGUMENT', `Lua script folder must end with '/', got ${dir.href}`);
  const registered = client as unknown as Record<string, unknown>;
  for (const [name, file] of Object.entries(files)) {
    if (!FILE_NAME.test(file)) refuse(file, 'the file name must be <name>-<numKeys>.lua, in the folder given');
    if (typeof registered[name] !== 'function') client.defineCommand(name, scriptDefinition(new URL(file, dir)));
  }
}
