import { findingSchema, type Finding } from '@vigil/contracts';
import type { IncidentState } from '@vigil/notifier-core';
import { StateError } from '@vigil/errors';
import { createKeyspace, loadScripts, type Keyspace, type RedisClient } from '@vigil/redis';

/** The hash tag every notifier key shares: the outbox and the incident scripts run in one Cluster slot. */
export const NOTIFIER_SLOT = 'notifier';

const SCRIPTS = {
  vigilNotifierLoadV1: 'load-2.lua',
  vigilNotifierCommitV1: 'commit-6.lua',
};

type ScriptClient = RedisClient & {
  vigilNotifierLoadV1(seen: string, group: string, incPrefix: string): Promise<[number, number, string]>;
  vigilNotifierCommitV1(...args: (string | number)[]): Promise<number>;
};

export interface Stored {
  rev: number;
  state: IncidentState;
}

export type CommitResult = 'ok' | 'conflict' | 'group-taken' | 'seen';

export interface IncidentStoreOptions {
  redis: RedisClient;
  prefix: string;
  /** How long an incident's keys live after their last change. */
  ttlMs?: number;
  /** How long a finding id is remembered (replays within it change nothing). */
  seenTtlMs?: number;
  recentCap?: number;
  findingsPerIncident?: number;
}

/**
 * Incidents in Redis. Reads and writes are scripts: a finding is applied
 * with one `load` and one compare-and-set `commit`, so two replicas (or the
 * API and the consumer) racing on one incident never overwrite each other.
 * Every key has a TTL or a cap: incidents and their findings expire 14 days
 * after their last change, the recent index keeps the newest 10,000.
 */
export class IncidentStore {
  private readonly redis: ScriptClient;
  private readonly keys: Keyspace;
  private readonly ttlMs: number;
  private readonly seenTtlMs: number;
  private readonly recentCap: number;
  private readonly findingsPerIncident: number;

  constructor(o: IncidentStoreOptions) {
    this.keys = createKeyspace(o.prefix);
    loadScripts(o.redis, new URL('../lua/', import.meta.url), SCRIPTS);
    this.redis = o.redis as ScriptClient;
    this.ttlMs = o.ttlMs ?? 14 * 24 * 3_600_000;
    this.seenTtlMs = o.seenTtlMs ?? 7 * 24 * 3_600_000;
    this.recentCap = o.recentCap ?? 10_000;
    this.findingsPerIncident = o.findingsPerIncident ?? 50;
  }

  private k(kind: string, part?: string): string {
    return part === undefined ? this.keys.key(NOTIFIER_SLOT, kind) : this.keys.key(NOTIFIER_SLOT, kind, part);
  }

  /** Whether a finding id was seen, and the open incident of its group. */
  async load(findingId: string, groupKey: string): Promise<{ seen: boolean; current?: Stored }> {
    const [seen, rev, json] = await this.call(() => this.redis.vigilNotifierLoadV1(this.k('seen', findingId), this.k('grp', groupKey), `${this.k('inc')}:`));
    return { seen: seen === 1, current: rev > 0 && json ? { rev, state: JSON.parse(json) as IncidentState } : undefined };
  }

  async get(id: string): Promise<Stored | undefined> {
    const [rev, json] = await this.call(() => this.redis.hmget(this.k('inc', id), 'rev', 'json'));
    return rev && json ? { rev: Number(rev), state: JSON.parse(json) as IncidentState } : undefined;
  }

  /** Several incidents in one round trip (missing ones are left out). */
  async getMany(ids: readonly string[]): Promise<Stored[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.k('inc', id), 'rev', 'json');
    const replies = (await this.call(() => pipe.exec())) ?? [];
    return replies.flatMap(([err, value]) => {
      const [rev, json] = (value ?? []) as (string | null)[];
      return !err && rev && json ? [{ rev: Number(rev), state: JSON.parse(json) as IncidentState }] : [];
    });
  }

  /** Writes `state` if the stored revision is still `expectedRev` (0 for a new incident). */
  async commit(expectedRev: number, state: IncidentState, finding?: Finding): Promise<CommitResult> {
    const findingKey = finding ? this.k('seen', finding.id) : this.k('seen', '-');
    const r = await this.call(() =>
      this.redis.vigilNotifierCommitV1(
        this.k('inc', state.id),
        this.k('grp', state.groupKey),
        this.k('open'),
        this.k('recent'),
        this.k('findings', state.id),
        findingKey,
        expectedRev,
        JSON.stringify(state),
        state.id,
        state.state,
        state.changedAt,
        state.firstSeenAt,
        this.ttlMs,
        finding ? JSON.stringify(finding) : '',
        this.seenTtlMs,
        this.recentCap,
        this.findingsPerIncident,
      ),
    );
    return r === 1 ? 'ok' : r === 0 ? 'conflict' : r === -1 ? 'group-taken' : 'seen';
  }

  /** Ids of open (and acknowledged) incidents. */
  async openIds(): Promise<string[]> {
    return this.call(() => this.redis.zrange(this.k('open'), 0, -1));
  }

  /** Drops an id from the open index whose incident expired (the notifier was down for longer than its TTL). */
  async forgetOpen(id: string): Promise<void> {
    await this.call(() => this.redis.zrem(this.k('open'), id));
  }

  /** The most recently changed incidents, newest first. */
  async recent(limit: number): Promise<IncidentState[]> {
    const ids = await this.call(() => this.redis.zrevrange(this.k('recent'), 0, limit - 1));
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.k('inc', id), 'json');
    const replies = (await this.call(() => pipe.exec())) ?? [];
    return replies.flatMap(([err, json]) => (!err && typeof json === 'string' ? [JSON.parse(json) as IncidentState] : []));
  }

  /** The findings behind an incident, newest first (bounded). */
  async findings(id: string): Promise<Finding[]> {
    const list = await this.call(() => this.redis.lrange(this.k('findings', id), 0, -1));
    return list.flatMap((json) => {
      const parsed = findingSchema.safeParse(JSON.parse(json));
      return parsed.success ? [parsed.data] : [];
    });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StateError('VIGIL_REDIS_COMMAND', `incident store: ${(err as Error).message}`, { cause: err, retriable: true });
    }
  }
}

