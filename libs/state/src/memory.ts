import type { FindingClaim, KeyParts, PrepareRequest, Prepared, ShardOps, ShardResult, StatePlan, StateStore } from './types.js';

const keyOf = (tag: string, parts: KeyParts) => `${tag}\u0000${parts.join('\u0000')}`;

/** Members a sketch keeps (exactly, unlike Redis's HyperLogLog): memory stays bounded, counts stop there. */
const SKETCH_CAP = 100_000;

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
  private texts = new Map<string, Entry<Map<string, string>>>();
  private admissions = new Map<string, Entry<Set<string>>>();
  private sketches = new Map<string, Entry<Set<string>>>();
  private claims = new Map<string, { until: number; severity: string }>();
  private version = '0';
  private applies = 0;
  private clock = 0;

  setThreatsVersion(version: string): void {
    this.version = version;
  }

  async prepare(request: PrepareRequest): Promise<Prepared> {
    return {
      threatsVersion: request.threats ? this.version : undefined,
      // Read as of the last apply's clock: an entry that expired by then is gone.
      texts: request.texts.map((r) => {
        const e = this.texts.get(keyOf(r.tag, r.key));
        const live = e && e.expiresAt > this.clock ? e.value : undefined;
        return r.fields.map((f) => live?.get(f) ?? null);
      }),
      fences: (request.fences ?? []).map((r) => {
        const e = this.hashes.get(keyOf(r.tag, r.key));
        return (e && e.expiresAt > this.clock ? e.value.get(r.field) : undefined) ?? null;
      }),
      admitted: (request.admit ?? []).map((a) => {
        const key = keyOf(a.tag, a.key);
        const now = Math.max(this.clock, request.now ?? 0);
        let e = this.admissions.get(key);
        if (!e || e.expiresAt <= now) this.admissions.set(key, (e = { value: new Set(), expiresAt: now + a.ttlMs }));
        const members = e.value;
        return a.members.map((m) => {
          if (members.has(m)) return true;
          if (members.size >= a.cap) return false;
          members.add(m);
          return true;
        });
      }),
    };
  }

  async apply(plan: StatePlan): Promise<ShardResult[]> {
    this.clock = Math.max(this.clock, plan.now);
    if (++this.applies % 64 === 0) this.expire(plan.now);
    return plan.shards.map((shard) => this.applyShard(shard, plan.now));
  }

  async claimed(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of ids) {
      const claim = this.claims.get(id);
      if (claim) out.set(id, claim.severity);
    }
    return out;
  }

  async claim(claims: readonly FindingClaim[], ttlMs: number, now: number): Promise<void> {
    for (const { id, severity } of claims) this.claims.set(id, { until: now + ttlMs, severity });
  }

  /** Keys currently held (for memory tests). */
  get size(): number {
    return this.hashes.size + this.sets.size + this.texts.size + this.admissions.size + this.sketches.size;
  }

  /**
   * The distinct members added to these sketches (SketchAddOp), together, as
   * of the last apply's clock (for tests; Redis answers PFCOUNT, within ~1%).
   * Exact up to the 100,000 members each sketch keeps.
   */
  sketchCount(tag: string, keys: readonly KeyParts[]): number {
    const live = keys.map((parts) => this.sketches.get(keyOf(tag, parts))).filter((e) => e !== undefined && e.expiresAt > this.clock);
    if (live.length === 1) return live[0]!.value.size;
    const union = new Set<string>();
    for (const e of live) for (const m of e!.value) union.add(m);
    return union.size;
  }

  private applyShard(shard: ShardOps, now: number): ShardResult {
    const k = (parts: KeyParts) => keyOf(shard.tag, parts);
    const hash = (key: string, ttlMs: number) => {
      let e = this.hashes.get(key);
      if (!e || e.expiresAt <= now) {
        e = { value: new Map(), expiresAt: now + ttlMs };
        this.hashes.set(key, e);
      }
      return e.value;
    };
    // `renew`: the key's TTL runs from this write, whenever the key was created.
    const renew = (key: string, ttlMs: number) => void (this.hashes.get(key)!.expiresAt = now + ttlMs);
    const result: ShardResult = { incr: [], min: [], max: [], setAdd: [], firstSeen: [], fences: [], reads: [], dropped: 0 };
    const stored = (key: string, field: string) => {
      const e = this.hashes.get(key);
      return e && e.expiresAt > now ? e.value.get(field) : undefined;
    };
    if (shard.fences.some((op) => (stored(k(op.key), op.field) ?? null) !== op.expected)) {
      // Refused: only the texts, which are not counters, are written (in Redis they go beside the script).
      this.applyTexts(shard, now, result);
      result.fenceMoved = true;
      return result;
    }
    for (const op of shard.incr) {
      const h = hash(k(op.key), op.ttlMs);
      const v = (h.get(op.field) ?? 0) + op.by;
      h.set(op.field, v);
      result.incr.push(v);
    }
    for (const op of shard.min) {
      const key = k(op.key);
      const h = hash(key, op.ttlMs);
      const cur = h.get(op.field);
      const v = cur === undefined ? op.value : Math.min(cur, op.value);
      h.set(op.field, v);
      if (op.renew) renew(key, op.ttlMs);
      result.min.push(v);
    }
    for (const op of shard.max ?? []) {
      const key = k(op.key);
      const h = hash(key, op.ttlMs);
      const cur = h.get(op.field);
      const v = cur === undefined ? op.value : Math.max(cur, op.value);
      h.set(op.field, v);
      if (op.renew) renew(key, op.ttlMs);
      result.max.push(v);
    }
    for (const op of shard.fences) {
      const key = k(op.key);
      const h = hash(key, op.ttlMs);
      // Not a time bucket: every write renews it.
      this.hashes.get(key)!.expiresAt = now + op.ttlMs;
      const cur = h.get(op.field);
      const stale = cur !== undefined && op.staleFrom !== undefined && cur >= op.staleFrom;
      const v = cur === undefined || stale ? op.value : Math.max(cur, op.value);
      h.set(op.field, v);
      result.fences.push(v);
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
      const key = k(op.key);
      const h = hash(key, op.ttlMs);
      if (op.renew) renew(key, op.ttlMs);
      if (h.has(op.field)) result.firstSeen.push([0, h.size]);
      else if (h.size >= op.cap) result.firstSeen.push([-1, h.size]);
      else {
        h.set(op.field, op.value);
        result.firstSeen.push([1, h.size]);
      }
    }
    for (const op of shard.sketches ?? []) {
      if (op.members.length === 0) continue;
      const key = k(op.key);
      let e = this.sketches.get(key);
      if (!e || e.expiresAt <= now) {
        e = { value: new Set(), expiresAt: now + op.ttlMs };
        this.sketches.set(key, e);
      }
      for (const m of op.members) {
        if (e.value.size >= SKETCH_CAP) break;
        e.value.add(m);
      }
    }
    this.applyTexts(shard, now, result);
    for (const key of shard.reads) {
      const e = this.hashes.get(k(key));
      result.reads.push(e && e.expiresAt > now ? Object.fromEntries(e.value) : {});
    }
    return result;
  }

  /** Checkpoint texts: plain writes beside the shard's counters (in Redis, HSETs beside its script). */
  private applyTexts(shard: ShardOps, now: number, result: ShardResult): void {
    const k = (parts: KeyParts) => keyOf(shard.tag, parts);
    for (const op of shard.texts) {
      const key = k(op.key);
      let e = this.texts.get(key);
      if (!e || e.expiresAt <= now) {
        e = { value: new Map(), expiresAt: now + op.ttlMs };
        this.texts.set(key, e);
      }
      for (const [field, value] of op.fields) {
        if (op.cap !== undefined && e.value.size >= op.cap && !e.value.has(field)) result.dropped++;
        else e.value.set(field, value);
      }
    }
    for (const op of shard.textDeletes ?? []) {
      const e = this.texts.get(k(op.key));
      if (e) for (const field of op.fields) e.value.delete(field);
    }
  }

  private expire(now: number): void {
    for (const [key, e] of this.hashes) if (e.expiresAt <= now) this.hashes.delete(key);
    for (const [key, e] of this.sets) if (e.expiresAt <= now) this.sets.delete(key);
    for (const [key, e] of this.texts) if (e.expiresAt <= now) this.texts.delete(key);
    for (const [key, e] of this.admissions) if (e.expiresAt <= now) this.admissions.delete(key);
    for (const [key, e] of this.sketches) if (e.expiresAt <= now) this.sketches.delete(key);
    for (const [id, claim] of this.claims) if (claim.until <= now) this.claims.delete(id);
  }
}
