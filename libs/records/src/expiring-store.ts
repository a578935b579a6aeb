import type { z } from 'zod';
import { StateError } from '@vigil/errors';
import { createKeyspace, type RedisClient } from '@vigil/redis';

/** At most this many live records per store: they come from people, not from traffic, but a runaway script must not fill Redis. */
export const MAX_RECORDS = 10_000;

/** What every stored record has: an id, and when it was made and expires (wall-clock ms). */
export interface Expiring {
  id: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * A small set of expiring records in Redis (suppressions, silences): one
 * hash (id → JSON) and a version counter under one hash tag, written
 * together in one transaction. Readers compare the version and reload the
 * hash when it changed. Expired records are pruned on every write and
 * ignored on every read.
 */
export class ExpiringRecordStore<T extends Expiring> {
  private readonly data: string;
  private readonly version: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly slot: string,
    private readonly schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  ) {
    const keys = createKeyspace(prefix);
    this.data = keys.key(slot, 'data');
    this.version = keys.key(slot, 'version');
  }

  /** Adds or replaces (same id) a record; returns it. */
  async put(record: T, now: number): Promise<T> {
    const valid = this.schema.parse(record);
    const live = await this.list(now);
    if (live.length >= MAX_RECORDS && !live.some((l) => l.id === valid.id)) {
      throw new StateError('VIGIL_SUPPRESSIONS_FULL', `there are already ${MAX_RECORDS} live ${this.slot}; remove some first`);
    }
    await this.write((m) => m.hset(this.data, valid.id, JSON.stringify(valid)), live);
    return valid;
  }

  /** Removes a record; false when there was none with that id. */
  async remove(id: string, now: number): Promise<boolean> {
    const live = await this.list(now);
    if (!live.some((s) => s.id === id)) return false;
    await this.write((m) => m.hdel(this.data, id), live);
    return true;
  }

  /** Live (unexpired) records, oldest first. Entries that no longer parse are skipped. */
  async list(now: number): Promise<T[]> {
    const all = await this.redis.hgetall(this.data);
    const out: T[] = [];
    for (const text of Object.values(all)) {
      const parsed = this.schema.safeParse(safeJson(text));
      if (parsed.success && parsed.data.expiresAt > now) out.push(parsed.data);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async currentVersion(): Promise<string> {
    return (await this.redis.get(this.version)) ?? '0';
  }

  /** One transaction: the change, expired records pruned, the version bumped. */
  private async write(change: (m: ReturnType<RedisClient['multi']>) => void, live: readonly T[]): Promise<void> {
    const m = this.redis.multi();
    change(m);
    const expired = (await this.redis.hkeys(this.data)).filter((id) => !live.some((s) => s.id === id));
    if (expired.length > 0) m.hdel(this.data, ...expired);
    m.incr(this.version);
    const replies = await m.exec();
    const failed = replies?.find(([err]) => err);
    if (failed) throw new StateError('VIGIL_REDIS_COMMAND', `${this.slot} write failed: ${(failed[0] as Error).message}`, { cause: failed[0], retriable: true });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
