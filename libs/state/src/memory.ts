import type { KeyParts, ShardOps, ShardResult, StatePlan, StateStore } from './types.js';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * State held in this process, for backtests and unit tests. Expiry runs on
 * event time (the plan's `now`), so a replay of a day takes the memory of a
 * few hours, not of the whole day.
 */
export class MemoryStateStore implements StateStore {
  readonly roundTrips = 0;
  private hashes = new Map<string, Entry<Map<string, number>>>();
  private sets = new Map<string, Entry<Set<string>>>();
  private vectors = new Map<string, Entry<number[]>>();
  private claims = new Map<string, number>();
  private version = '0';
  private applies = 0;

  setThreatsVersion(version: string): void {
    this.version = version;
  }

  async threatsVersion(): Promise<string> {
    return this.version;
  }

  async apply(plan: StatePlan): Promise<ShardResult[]> {
    if (++this.applies % 64 === 0) this.expire(plan.now);
    return plan.shards.map((shard) => this.applyShard(shard, plan.now));
  }

  async claimed(ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.claims.has(id)));
  }

  async claim(ids: readonly string[], ttlMs: number, now: number): Promise<void> {
    for (const id of ids) this.claims.set(id, now + ttlMs);
  }

  /** Keys currently held (for memory tests). */
  get size(): number {
    return this.hashes.size + this.sets.size + this.vectors.size;
  }

  private applyShard(shard: ShardOps, now: number): ShardResult {
    const k = (parts: KeyParts) => `${shard.tag}\u0000${parts.join('\u0000')}`;
    const hash = (key: string, ttlMs: number) => {
      let e = this.hashes.get(key);
      if (!e || e.expiresAt <= now) {
        e = { value: new Map(), expiresAt: now + ttlMs };
        this.hashes.set(key, e);
      }
      return e.value;
    };
    const result: ShardResult = { incr: [], min: [], setAdd: [], firstSeen: [], reads: [], vectorAdd: [], vectorReads: [] };
    for (const op of shard.incr) {
      const h = hash(k(op.key), op.ttlMs);
      const v = (h.get(op.field) ?? 0) + op.by;
      h.set(op.field, v);
      result.incr.push(v);
    }
    for (const op of shard.min) {
      const h = hash(k(op.key), op.ttlMs);
      const cur = h.get(op.field);
      const v = cur === undefined ? op.value : Math.min(cur, op.value);
      h.set(op.field, v);
      result.min.push(v);
    }
    for (const op of shard.setAdd) {
      const key = k(op.key);
      let e = this.sets.get(key);
      if (!e || e.expiresAt <= now) {
        e = { value: new Set(), expiresAt: now + op.ttlMs };
        this.sets.set(key, e);
      }
      for (const m of op.members) {
        if (e.value.size >= op.cap) break;
        e.value.add(m);
      }
      result.setAdd.push(e.value.size);
    }
    for (const op of shard.firstSeen) {
      const h = hash(k(op.key), op.ttlMs);
      if (h.has(op.field)) result.firstSeen.push([0, h.size]);
      else if (h.size >= op.cap) result.firstSeen.push([-1, h.size]);
      else {
        h.set(op.field, op.value);
        result.firstSeen.push([1, h.size]);
      }
    }
    for (const op of shard.vectorAdd) {
      const key = k(op.key);
      let e = this.vectors.get(key);
      if (!e || e.expiresAt <= now) {
        e = { value: [], expiresAt: now + op.ttlMs };
        this.vectors.set(key, e);
      }
      const v = e.value;
      for (let i = 0; i < op.deltas.length; i++) v[i] = (v[i] ?? 0) + op.deltas[i]!;
      for (let i = 0; i < v.length; i++) v[i] ??= 0;
      result.vectorAdd.push([...v]);
    }
    for (const key of shard.reads) {
      const e = this.hashes.get(k(key));
      result.reads.push(e && e.expiresAt > now ? Object.fromEntries(e.value) : {});
    }
    for (const key of shard.vectorReads) {
      const e = this.vectors.get(k(key));
      result.vectorReads.push(e && e.expiresAt > now ? [...e.value] : []);
    }
    return result;
  }

  private expire(now: number): void {
    for (const [key, e] of this.hashes) if (e.expiresAt <= now) this.hashes.delete(key);
    for (const [key, e] of this.sets) if (e.expiresAt <= now) this.sets.delete(key);
    for (const [key, e] of this.vectors) if (e.expiresAt <= now) this.vectors.delete(key);
    for (const [id, at] of this.claims) if (at <= now) this.claims.delete(id);
  }
}
