import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { VigilError } from '@vigil/errors';
import { createRedis } from './client.js';
import { loadScripts, scriptDefinition } from './scripts.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-lua-'));
const dirUrl = pathToFileURL(`${dir}/`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = (title: string, lines: string[]) => `--[[\n  ${title}\n\n  What it does.\n\n${lines.map((l) => `  ${l}\n`).join('')}]]\n`;
const good = header('swap (2 keys)', ['KEYS[1]  from', 'KEYS[2]  to', 'ARGV[1]  field', 'Returns  1 moved, 0 not']) + "return redis.call('HGET', KEYS[1], ARGV[1]) and redis.call('HSET', KEYS[2], ARGV[1], 1)\n";

function file(name: string, text: string): URL {
  writeFileSync(join(dir, name), text);
  return new URL(name, dirUrl);
}

function refusal(url: URL): string {
  try {
    scriptDefinition(url);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('VIGIL_ARGUMENT');
    return (err as Error).message;
  }
  throw new Error(`${url.pathname} was accepted`);
}

describe('scriptDefinition', () => {
  it('takes the key count from the file name and the whole file, header included, as the script', () => {
    expect(scriptDefinition(file('swap-2.lua', good))).toEqual({ numberOfKeys: 2, lua: good });
    const hyphenated = good.replace('swap (2 keys)', 'swap-all (2 keys)');
    expect(scriptDefinition(file('swap-all-2.lua', hyphenated)).numberOfKeys).toBe(2);
    const one = header('get (1 key)', ['KEYS[1]  the hash', 'ARGV[1]  field', 'Returns  its value']) + "return redis.call('HGET', KEYS[1], ARGV[1])\n";
    expect(scriptDefinition(file('get-1.lua', one)).numberOfKeys).toBe(1);
  });

  it('refuses a file name without its key count', () => {
    expect(refusal(file('swap.lua', good))).toMatch(/swap\.lua: the file name must be <name>-<numKeys>\.lua/);
  });

  it('refuses a file without a header, or whose header names another script or key count', () => {
    expect(refusal(file('bare-1.lua', "return redis.call('GET', KEYS[1])\n"))).toMatch(/must open with a --\[\[ … \]\] header/);
    expect(refusal(file('swop-2.lua', good))).toMatch(/must open with "swop \(2 keys\)"/);
    expect(refusal(file('swap-3.lua', good))).toMatch(/must open with "swap \(3 keys\)"/);
  });

  it('refuses a header that leaves out a key, the arguments or what it returns', () => {
    expect(refusal(file('swap-2.lua', good.replace('KEYS[2]  to', 'and a second key')))).toMatch(/does not describe KEYS\[2\]/);
    expect(refusal(file('swap-2.lua', good.replace('ARGV[1]  field\n', '')))).toMatch(/does not describe ARGV/);
    expect(refusal(file('swap-2.lua', good.replace('Returns  1 moved, 0 not', '1 moved, 0 not')))).toMatch(/does not say what it returns/);
  });

  it('refuses a body that uses a key its name does not declare', () => {
    const text = header('swap (1 key)', ['KEYS[1]  from', 'ARGV[1]  field', 'Returns  1']) + "return redis.call('HSET', KEYS[2], ARGV[1], 1)\n";
    expect(refusal(file('swap-1.lua', text))).toMatch(/body uses KEYS\[2\] but the name declares 1/);
  });

  it('says which file it could not read', () => {
    expect(refusal(new URL('gone-1.lua', dirUrl))).toMatch(/gone-1\.lua could not be read/);
  });
});

describe('loadScripts', () => {
  it('registers each file under its versioned name, once per client', () => {
    file('swap-2.lua', good);
    const redis = createRedis({ url: 'redis://127.0.0.1:1' });
    const define = vi.spyOn(redis, 'defineCommand');
    loadScripts(redis, dirUrl, { testSwapV1: 'swap-2.lua' });
    expect(define).toHaveBeenCalledWith('testSwapV1', { numberOfKeys: 2, lua: good });
    expect(typeof (redis as unknown as Record<string, unknown>).testSwapV1).toBe('function');
    // A second store on the same client: the name is taken, the file is not read again.
    rmSync(join(dir, 'swap-2.lua'));
    loadScripts(redis, dirUrl, { testSwapV1: 'swap-2.lua' });
    expect(define).toHaveBeenCalledTimes(1);
  });

  it('refuses a folder URL without its trailing slash, and a file outside the folder', () => {
    const redis = createRedis({ url: 'redis://127.0.0.1:1' });
    expect(() => loadScripts(redis, pathToFileURL(dir), { testSwapV1: 'swap-2.lua' })).toThrow(/must end with '\/'/);
    expect(() => loadScripts(redis, dirUrl, { testSwapV1: '../swap-2.lua' })).toThrow(/file name must be <name>-<numKeys>\.lua/);
  });
});
