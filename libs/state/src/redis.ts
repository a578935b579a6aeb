import { StateError } from '@vigil/errors';
import { createKeyspace, escapeKeyPart, isCluster, loadScripts, type Keyspace, type Redis, type RedisClient } from '@vigil/redis';
import type { FindingClaim, KeyParts, PrepareRequest, Prepared, ShardOps, ShardResult, StatePlan, StateStore } from './types.js';

/**
 * Scripts are registered under a versioned name: a changed script never runs under an old one's SHA.
 * (The number in a file name is its key count, not a version: `<name>-<numKeys>.lua`.)
 */
export const APPLY_SCRIPT = 'vigilApplyShardV4';
const ADMIT_SCRIPT = 'vigilAdmitV1';
const PUT_CAPPED_SCRIPT = 'vigilPutCappedV1';
const SCRIPTS = { [APPLY_SCRIPT]: 'apply-shard-1.lua', [ADMIT_SCRIPT]: 'admit-1.lua', [PUT_CAPPED_SCRIPT]: 'put-capped-1.lua' };

type ScriptClient = RedisClient & {
  [APPLY_SCRIPT](prefix: string, ops: string): Promise<string>;
  [ADMIT_SCRIPT](key: string, cap: number, ttlMs: number, ...members: string[]): Promise<number[]>;
  [PUT_CAPPED_SCRIPT](key: string, cap: number, ttlMs: number, ...fieldsAndValues: string[]): Promise<number>;
};

interface ApplyReply {
  i: number[] | Record<string, never>;
  m: number[] | Record<string, never>;
  /** Absent from a refused call's reply. */
  a?: number[] | Record<string, never>;
  s: number[] | Record<string, never>;
  f: [number, number][] | Record<string, never>;
  x: number[] | Record<string, never>;
  /** Set when a fence was not at its expected value (nothing else is). */
  moved?: 1;
  r: (string[] | Record<string, never>)[] | Record<string, never>;
}

type Pipeline = ReturnType<Redis['pipeline']>;

const list = <T>(v: T[] | Record<string, never> | undefined): T[] => (Array.isArray(v) ? v : []);

export interface RedisStateStoreOptions {
  redis: RedisClient;
  /** First part of every key (REDIS_KEY_PREFIX). */
  prefix: string;
}

/**
 * Detector state in Redis. One `apply-shard-1.lua` call per shard (api) per
 * batch, and the shard's checkpoints as plain HSETs beside it; on a single
 * node they go out in one pipeline, so a batch costs one round trip (two
 * when it reads checkpoints, fences or the threats version first). Keys:
 * `<prefix>:{<api>}:<op key parts…>`, all escaped and bounded by the key
 * builder, each with a TTL.
 */
export class RedisStateStore implements StateStore {
  private readonly redis: ScriptClient;
  private readonly keys: Keyspace;
  private trips = 0;

  constructor(options: RedisStateStoreOptions) {
    this.keys = createKeyspace(options.prefix);
    loadScripts(options.redis, new URL('../lua/', import.meta.url), SCRIPTS);
    this.redis = options.redis as ScriptClient;
  }

  get roundTrips(): number {
    return this.trips;
  }

  private get clustered(): boolean {
    return isCluster(this.redis);
  }

  async apply(plan: StatePlan): Promise<ShardResult[]> {
    if (plan.shards.length === 0) return [];
    const replies = await this.run(
      'applying detector state',
      plan.shards.map((shard) => (p) => {
        const prefix = this.keys.key(shard.tag);
        (p as unknown as ScriptClient)[APPLY_SCRIPT](prefix, JSON.stringify(encode(shard)));
        for (const op of shard.texts) {
          if (op.fields.length === 0) continue;
          const key = `${prefix}:${suffix(op.key)}`;
          if (op.cap !== undefined) (p as unknown as ScriptClient)[PUT_CAPPED_SCRIPT](key, op.cap, op.ttlMs, ...op.fields.flat());
          else {
            p.hset(key, ...op.fields.flat());
            p.pexpire(key, op.ttlMs, 'NX');
          }
        }
        for (const op of shard.textDeletes ?? []) {
          if (op.fields.length > 0) p.hdel(`${prefix}:${suffix(op.key)}`, ...op.fields);
        }
      }),
    );
    return replies.map(([reply, ...texts], i) => {
      const result = decode(JSON.parse(reply as string) as ApplyReply);
      // put-capped answers the fields it dropped; HSET and PEXPIRE answers are not counted.
      let at = 0;
      for (const op of plan.shards[i]!.texts) {
        if (op.fields.length === 0) continue;
        if (op.cap !== undefined) result.dropped += Number(texts[at++]);
        else at += 2;
      }
      return result;
    });
  }

  async prepare(request: PrepareRequest): Promise<Prepared> {
    const groups: ((p: Pipeline) => void)[] = [];
    if (request.threats) groups.push((p) => p.get(threatKeys(this.keys).version));
    const reads = request.texts.filter((r) => r.fields.length > 0);
    for (const r of reads) groups.push((p) => p.hmget(`${this.keys.key(r.tag)}:${suffix(r.key)}`, ...r.fields));
    for (const r of request.fences ?? []) groups.push((p) => p.hget(`${this.keys.key(r.tag)}:${suffix(r.key)}`, r.field));
    const admits = (request.admit ?? []).filter((a) => a.members.length > 0);
    for (const a of admits) groups.push((p) => void (p as unknown as ScriptClient)[ADMIT_SCRIPT](`${this.keys.key(a.tag)}:${suffix(a.key)}`, a.cap, a.ttlMs, ...a.members));
    const replies = groups.length > 0 ? await this.run('reading detector checkpoints', groups) : [];
    const threatsVersion = request.threats ? ((replies.shift()![0] as string | null) ?? '0') : undefined;
    const texts = request.texts.map((r) => (r.fields.length > 0 ? (replies.shift()![0] as (string | null)[]) : []));
    const fences = (request.fences ?? []).map(() => {
      const v = replies.shift()![0] as string | null;
      return v === null ? null : Number(v);
    });
    const admitted = (request.admit ?? []).map((a) => (a.members.length > 0 ? (replies.shift()![0] as number[]).map((v) => v === 1) : []));
    return { threatsVersion, texts, fences, admitted };
  }

  /**
   * Sends each group's commands (keys of one hash slot) and returns each
   * group's replies. On a single node all groups go out in one pipeline (one
   * round trip); on a Redis Cluster, one pipeline per group, all at once.
   */
  private async run(action: string, groups: readonly ((p: Pipeline) => void)[]): Promise<unknown[][]> {
    const exec = async (p: Pipeline) =>
      ((await p.exec()) ?? []).map(([err, reply]) => {
        if (err) throw err;
        return reply;
      });
    try {
      if (this.clustered) {
        this.trips += groups.length;
        return await Promise.all(
          groups.map((build) => {
            const p = this.redis.pipeline();
            build(p);
            return exec(p);
          }),
        );
      }
      this.trips++;
      const p = this.redis.pipeline();
      const ends = groups.map((build) => {
        build(p);
        return p.length;
      });
      const replies = await exec(p);
      return ends.map((end, g) => replies.slice(g === 0 ? 0 : ends[g - 1], end));
    } catch (err) {
      throw new StateError('VIGIL_REDIS_COMMAND', `${action} failed: ${(err as Error).message}`, { cause: err, retriable: true });
    }
  }

  private claimKey(id: string): string {
    // Spread claims over 64 slots by the id's last character.
    return this.keys.key(`claims-${id.charCodeAt(id.length - 1) % 64}`, 'f', id);
  }

  async claimed(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const keys = ids.map((id) => this.claimKey(id));
    let values: (string | null)[];
    if (this.clustered) {
      this.trips += keys.length;
      values = await Promise.all(keys.map((k) => this.redis.get(k)));
    } else {
      this.trips++;
      const p = (this.redis as Redis).pipeline();
      for (const k of keys) p.get(k);
      values = ((await p.exec()) ?? []).map(([err, v]) => {
        if (err) throw err;
        return v as string | null;
      });
    }
    ids.forEach((id, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out.set(id, v);
    });
    return out;
  }

  async claim(claims: readonly FindingClaim[], ttlMs: number): Promise<void> {
    if (claims.length === 0) return;
    if (this.clustered) {
      this.trips += claims.length;
      await Promise.all(claims.map((c) => this.redis.set(this.claimKey(c.id), c.severity, 'PX', ttlMs)));
      return;
    }
    this.trips++;
    const p = (this.redis as Redis).pipeline();
    for (const c of claims) p.set(this.claimKey(c.id), c.severity, 'PX', ttlMs);
    for (const [err] of (await p.exec()) ?? []) if (err) throw err;
  }
}

/** Keys of the known-threats store (one hash tag: loaded and read whole). */
export function threatKeys(keys: Keyspace): { version: string; data: string } {
  return { version: keys.key('threats', 'version'), data: keys.key('threats', 'data') };
}

function suffix(parts: KeyParts): string {
  return parts.map((p) => escapeKeyPart(String(p))).join(':');
}

/** `renew` as the script takes it: a trailing 1, nothing when not asked for (so ops without it encode as before). */
const renewed = (o: { renew?: boolean }): [1] | [] => (o.renew ? [1] : []);

function encode(shard: ShardOps) {
  const max = shard.max ?? [];
  const sketches = (shard.sketches ?? []).filter((o) => o.members.length > 0);
  return {
    i: shard.incr.map((o) => [suffix(o.key), o.field, o.by, o.ttlMs]),
    m: shard.min.map((o) => [suffix(o.key), o.field, o.value, o.ttlMs, ...renewed(o)]),
    // Newer ops only when there are some: the script takes a missing one as none.
    ...(max.length > 0 ? { a: max.map((o) => [suffix(o.key), o.field, o.value, o.ttlMs, ...renewed(o)]) } : {}),
    s: shard.setAdd.map((o) => [suffix(o.key), o.members, o.cap, o.ttlMs]),
    f: shard.firstSeen.map((o) => [suffix(o.key), o.field, o.value, o.cap, o.ttlMs, ...renewed(o)]),
    ...(sketches.length > 0 ? { h: sketches.map((o) => [suffix(o.key), o.members, o.ttlMs]) } : {}),
    x: shard.fences.map((o) => [suffix(o.key), o.field, o.value, o.staleFrom ?? -1, o.ttlMs, o.expected ?? -1]),
    r: shard.reads.map((k) => suffix(k)),
  };
}

function decode(reply: ApplyReply): ShardResult {
  return {
    incr: list(reply.i),
    min: list(reply.m),
    max: list(reply.a),
    setAdd: list(reply.s),
    firstSeen: list(reply.f),
    fences: list(reply.x),
    reads: list(reply.r).map((flat) => {
      const arr = list(flat);
      const rec: Record<string, number> = {};
      for (let i = 0; i < arr.length; i += 2) rec[arr[i]!] = Number(arr[i + 1]);
      return rec;
    }),
    dropped: 0,
    ...(reply.moved ? { fenceMoved: true } : {}),
  };
}
