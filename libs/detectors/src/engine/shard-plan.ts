import { emptyShard, type KeyParts, type ShardOps, type ShardResult } from '@vigil/state';

/** Where an operation's result is found: its shard, and its place in that shard's list. */
export interface Handle {
  shard: number;
  index: number;
}

interface HashCounters {
  key: KeyParts;
  ttlMs: number;
  fields: Map<string, number>;
}

interface Shard {
  index: number;
  ops: ShardOps;
  /** Counters per key, flattened into ops.incr before the apply (one HINCRBY per field and key). */
  hashes: Map<string, HashCounters>;
  /** Keys already asked for, by key: a key is read once per batch. */
  reads: Map<string, number>;
}

const keyId = (parts: KeyParts) => parts.join('\u0000');

/**
 * A batch's state operations, grouped by shard (its api, the hash tag): the
 * stages add counters, minimums, set members, first sightings, fences,
 * checkpoints and reads here, and the whole plan is applied in one round
 * trip. Counters of one key are summed here first, so a busy route costs one
 * field update per batch, not one per event.
 */
export class ShardPlan {
  private readonly shards = new Map<string, Shard>();

  /** The operations of one shard (for the ones that need no result). */
  ops(tag: string): ShardOps {
    return this.shard(tag).ops;
  }

  /** The counters of one hash key in this batch: one lookup per key, not per field. */
  counters(tag: string, key: KeyParts, ttlMs: number): Map<string, number> {
    const s = this.shard(tag);
    const id = keyId(key);
    let acc = s.hashes.get(id);
    if (!acc) {
      acc = { key, ttlMs, fields: new Map() };
      s.hashes.set(id, acc);
    }
    return acc.fields;
  }

  /** Asks for a hash once per batch; the handle finds its value in the results. */
  read(tag: string, key: KeyParts): Handle {
    const s = this.shard(tag);
    const id = keyId(key);
    let i = s.reads.get(id);
    if (i === undefined) {
      i = s.ops.reads.length;
      s.reads.set(id, i);
      s.ops.reads.push(key);
    }
    return { shard: s.index, index: i };
  }

  /** Keeps the smaller of the stored value and `value` (the batch's minimum, gathered per key before it gets here). */
  min(tag: string, key: KeyParts, field: string, value: number, ttlMs: number): void {
    this.shard(tag).ops.min.push({ key, field, value, ttlMs });
  }

  /** Adds a batch's distinct members (at most `cap` in the set); the handle finds the set's size. */
  setAdd(tag: string, key: KeyParts, members: ReadonlySet<string> | string[], cap: number, ttlMs: number): Handle {
    const s = this.shard(tag);
    s.ops.setAdd.push({ key, members: Array.isArray(members) ? members : [...members], cap, ttlMs });
    return { shard: s.index, index: s.ops.setAdd.length - 1 };
  }

  /** Keeps the larger of the stored value and `value`; `renew` sets the TTL again with every write. */
  max(tag: string, key: KeyParts, field: string, value: number, ttlMs: number, renew?: boolean): void {
    (this.shard(tag).ops.max ??= []).push({ key, field, value, ttlMs, ...(renew ? { renew } : {}) });
  }

  /** Adds members to a HyperLogLog (distinct counts read by the inventory). */
  sketch(tag: string, key: KeyParts, members: string[], ttlMs: number): void {
    if (members.length > 0) (this.shard(tag).ops.sketches ??= []).push({ key, members, ttlMs });
  }

  /** Notes a field's first sighting unless the hash holds `cap` fields; the handle finds [new?, fields]. `renew` sets the TTL again with every write. */
  firstSeen(tag: string, key: KeyParts, field: string, value: number, cap: number, ttlMs: number, renew?: boolean): Handle {
    const s = this.shard(tag);
    s.ops.firstSeen.push({ key, field, value, cap, ttlMs, ...(renew ? { renew } : {}) });
    return { shard: s.index, index: s.ops.firstSeen.length - 1 };
  }

  /** Every shard's operations, the summed counters turned into increments. */
  build(): ShardOps[] {
    const out: ShardOps[] = [];
    for (const s of this.shards.values()) {
      for (const acc of s.hashes.values()) {
        for (const [field, by] of acc.fields) s.ops.incr.push({ key: acc.key, field, by, ttlMs: acc.ttlMs });
      }
      out.push(s.ops);
    }
    return out;
  }

  private shard(tag: string): Shard {
    let s = this.shards.get(tag);
    if (!s) {
      s = { index: this.shards.size, ops: emptyShard(tag), hashes: new Map(), reads: new Map() };
      this.shards.set(tag, s);
    }
    return s;
  }
}

/** Adds `by` to a counter of the batch. */
export function addTo(fields: Map<string, number>, field: string, by: number): void {
  fields.set(field, (fields.get(field) ?? 0) + by);
}

/** The results of an applied plan, found by the handles the plan gave out. */
export class ShardResults {
  constructor(readonly all: readonly ShardResult[]) {}

  /** A read hash (empty when the key does not exist). */
  hash(h: Handle): Record<string, number> {
    return this.all[h.shard]!.reads[h.index]!;
  }

  /** A set's size after the add. */
  setSize(h: Handle): number {
    return this.all[h.shard]!.setAdd[h.index]!;
  }

  /** [1 new | 0 known | -1 full, fields after]. */
  firstSeen(h: Handle): [number, number] {
    return this.all[h.shard]!.firstSeen[h.index]!;
  }

  /** Checkpoints dropped because their hour was full. */
  get dropped(): number {
    return this.all.reduce((sum, r) => sum + r.dropped, 0);
  }

  get fenceMoved(): boolean {
    return this.all.some((r) => r.fenceMoved);
  }
}
