import { StateError } from '@vigil/errors';
import { createKeyspace, escapeKeyPart, loadScripts, type Keyspace, type RedisClient } from '@vigil/redis';
import { backoffMs, defaultBackoff, type BackoffOptions } from './backoff.js';

const SCRIPTS = {
  vigilOutboxEnqueueV1: 'enqueue-3.lua',
  vigilOutboxClaimV2: 'claim-1.lua',
  vigilOutboxSettleV2: 'settle-4.lua',
};

type ScriptClient = RedisClient & {
  vigilOutboxEnqueueV1(entry: string, due: string, sent: string, id: string, payload: string, dueAt: number): Promise<number>;
  vigilOutboxClaimV2(due: string, now: number, limit: number, leaseMs: number, entryPrefix: string): Promise<string[]>;
  vigilOutboxSettleV2(entry: string, due: string, sent: string, dead: string, id: string, outcome: string, arg: number, reason: string): Promise<number>;
};

export interface OutboxEntry {
  id: string;
  payload: string;
  attempts: number;
  /** Held back once by a rate limit (see defer). */
  deferred: boolean;
}

export interface OutboxOptions {
  redis: RedisClient;
  prefix: string;
  /** The hash tag all outbox keys share (default `outbox`); another store can share it to write in the same scripts. */
  slot?: string;
  /** How long a claimed entry is held before it comes due again (the claimer died). */
  leaseMs?: number;
  /** How long a delivered id is remembered, so the same notification is not queued again. */
  sentTtlMs?: number;
  maxAttempts?: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

/** Redis not answering is retriable: the caller tries the same step again. */
async function redisCall<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StateError('VIGIL_REDIS_COMMAND', `outbox ${action} failed: ${(err as Error).message}`, { cause: err, retriable: true });
  }
}

/**
 * The durable outbox: notifications are written here before any channel is
 * tried, so a failing channel or a crash loses nothing. All keys share the
 * `{outbox}` hash tag (one Cluster slot: the scripts touch them together).
 * Times are wall-clock ms passed in by the caller.
 */
export class Outbox {
  private readonly redis: ScriptClient;
  private readonly keys: Keyspace;
  private readonly leaseMs: number;
  private readonly sentTtlMs: number;
  readonly maxAttempts: number;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly slot: string;

  constructor(o: OutboxOptions) {
    this.keys = createKeyspace(o.prefix);
    this.slot = o.slot ?? 'outbox';
    loadScripts(o.redis, new URL('../lua/', import.meta.url), SCRIPTS);
    this.redis = o.redis as ScriptClient;
    this.leaseMs = o.leaseMs ?? 60_000;
    this.sentTtlMs = o.sentTtlMs ?? 7 * 24 * 3_600_000;
    this.maxAttempts = o.maxAttempts ?? 20;
    this.backoff = o.backoff ?? defaultBackoff;
    this.random = o.random ?? Math.random;
  }

  /** Set keys, and per-entry keys from an id already escaped (ids are stored escaped in the due set). */
  private k(kind: string, safeId?: string): string {
    const base = this.keys.key(this.slot, kind);
    return safeId === undefined ? base : `${base}:${safeId}`;
  }

  /** Queues an entry due at `now`; false when that id is queued already or was delivered. */
  async enqueue(id: string, payload: string, now: number): Promise<boolean> {
    const safe = escapeKeyPart(id);
    return (await redisCall('enqueue', () => this.redis.vigilOutboxEnqueueV1(this.k('e', safe), this.k('due'), this.k('sent', safe), safe, payload, now))) === 1;
  }

  /** Up to `limit` due entries, leased to the caller. */
  async claim(now: number, limit = 100): Promise<OutboxEntry[]> {
    const flat = await redisCall('claim', () => this.redis.vigilOutboxClaimV2(this.k('due'), now, limit, this.leaseMs, `${this.k('e')}:`));
    // Ids come back as stored: escaped (escapeKeyPart), which is what ack and fail take.
    const out: OutboxEntry[] = [];
    for (let i = 0; i < flat.length; i += 4) out.push({ id: flat[i]!, payload: flat[i + 1]!, attempts: Number(flat[i + 2]), deferred: flat[i + 3] === '1' });
    return out;
  }

  /** Delivered: removed, and remembered as sent. `id` is a claimed entry's id. */
  async ack(id: string): Promise<void> {
    await this.settle(this.k('e', id), this.k('due'), this.k('sent', id), this.k('dead'), id, 'ack', this.sentTtlMs, '');
  }

  /**
   * A failed attempt. Retryable and under the attempt limit: due again after
   * an exponential backoff with jitter (returns the delay). Otherwise moved to
   * the dead set (returns undefined).
   */
  async fail(entry: OutboxEntry, retryable: boolean, reason: string, now: number): Promise<number | undefined> {
    const attempts = entry.attempts + 1;
    if (retryable && attempts < this.maxAttempts) {
      const delay = backoffMs(entry.attempts, this.backoff, this.random);
      await this.settle(this.k('e', entry.id), this.k('due'), this.k('sent', entry.id), this.k('dead'), entry.id, 'retry', now + delay, reason.slice(0, 500));
      return delay;
    }
    await this.settle(this.k('e', entry.id), this.k('due'), this.k('sent', entry.id), this.k('dead'), entry.id, 'dead', now, reason.slice(0, 500));
    return undefined;
  }

  /** Held back (a rate limit): due again at `dueAt`, marked deferred, no attempt counted. */
  async defer(id: string, dueAt: number): Promise<void> {
    await this.settle(this.k('e', id), this.k('due'), this.k('sent', id), this.k('dead'), id, 'defer', dueAt, '');
  }

  private settle(...args: Parameters<ScriptClient['vigilOutboxSettleV2']>): Promise<number> {
    return redisCall(`settle (${args[5]})`, () => this.redis.vigilOutboxSettleV2(...args));
  }

  /** Entries waiting (due or leased). */
  async depth(): Promise<number> {
    return this.redis.zcard(this.k('due'));
  }

  /** Ids of entries that could not be delivered. */
  async dead(): Promise<string[]> {
    return this.redis.zrange(this.k('dead'), 0, -1);
  }
}
