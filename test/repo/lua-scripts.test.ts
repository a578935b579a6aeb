import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Outbox } from '@vigil/outbox';
import { createRedis, scriptDefinition, type RedisClient } from '@vigil/redis';
import { RedisStateStore } from '@vigil/state';
import { createDelivery } from '../../services/notifier/src/delivery.js';
import { IncidentStore } from '../../services/notifier/src/store.js';

/**
 * The Lua scripts every store registers, by name. A name is a version: a
 * script whose body changes must be registered under a new name, so this
 * table pins each name to its key count and to a digest of its body (the
 * text after the header comment, which may change freely).
 */
const REGISTERED = {
  vigilApplyShardV4: { numberOfKeys: 1, body: 'e0d09528a33e0dac' },
  vigilAdmitV1: { numberOfKeys: 1, body: '38a35315c01d306a' },
  vigilPutCappedV1: { numberOfKeys: 1, body: 'e3e195a75c56d385' },
  vigilOutboxEnqueueV1: { numberOfKeys: 3, body: 'd2081122e0963f29' },
  vigilOutboxClaimV2: { numberOfKeys: 1, body: 'b1bafd22a55ab32f' },
  vigilOutboxSettleV2: { numberOfKeys: 4, body: 'ed04ce3aa22a6cd7' },
  vigilNotifierLoadV1: { numberOfKeys: 2, body: '10c45181dc356c8e' },
  vigilNotifierCommitV1: { numberOfKeys: 6, body: 'cceeec7f188bdcc4' },
  vigilNotifierReserveV1: { numberOfKeys: 1, body: '0123bc78dfaf0b42' },
};

const root = new URL('../../', import.meta.url);
const bodyDigest = (lua: string) => createHash('sha256').update(lua.slice(lua.indexOf(']]\n') + 3)).digest('hex').slice(0, 16);

/** Each package folder (libs/x, services/y) with its files under `sub` whose names end in `ext`, as paths from the root. */
function packageFiles(sub: string, ext: string): string[] {
  return ['libs', 'services'].flatMap((group) =>
    readdirSync(new URL(`${group}/`, root)).flatMap((pkg) => {
      const dir = new URL(`${group}/${pkg}/${sub}/`, root);
      if (!existsSync(dir)) return [];
      return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith(ext))
        .map((f) => `${group}/${pkg}/${sub}/${f}`);
    }),
  );
}

/** What the stores ask a client to define; a lazy client never connects. */
function registrations(): Map<string, { numberOfKeys: number; lua: string }> {
  const redis: RedisClient = createRedis({ url: 'redis://127.0.0.1:1' });
  const define = vi.spyOn(redis, 'defineCommand');
  new RedisStateStore({ redis, prefix: 'p' });
  new Outbox({ redis, prefix: 'p' });
  new IncidentStore({ redis, prefix: 'p' });
  const logger = { child: () => logger } as never;
  createDelivery({ redis, prefix: 'p', incidentsTopic: 'api.incidents', logger } as never);
  return new Map(define.mock.calls.map(([name, def]) => [name, { numberOfKeys: def.numberOfKeys!, lua: def.lua }]));
}

describe('Lua scripts', () => {
  it('every store registers its scripts under the same versioned names, key counts and bodies', () => {
    const seen = Object.fromEntries([...registrations()].map(([name, def]) => [name, { numberOfKeys: def.numberOfKeys, body: bodyDigest(def.lua) }]));
    expect(seen).toEqual(REGISTERED);
  });

  it('every script file is named <name>-<numKeys>.lua, has its header, and is registered by a store', () => {
    const files = packageFiles('lua', '.lua');
    expect(files).toHaveLength(Object.keys(REGISTERED).length);
    const registered = [...registrations().values()];
    for (const path of files) {
      const def = scriptDefinition(new URL(path, root));
      expect(registered, path).toContainEqual(def);
    }
  });

  it('only libs/redis reads script files', () => {
    const readers = packageFiles('src', '.ts').filter((path) => {
      if (path.startsWith('libs/redis/')) return false;
      const text = readFileSync(new URL(path, root), 'utf8');
      return /\.lua\b/.test(text) && /\breadFile(Sync)?\b|\bcreateReadStream\b/.test(text);
    });
    expect(readers).toEqual([]);
  });
});
