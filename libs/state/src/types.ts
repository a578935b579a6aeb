/**
 * The state behind the detectors: a few primitive operations on hashes and
 * sets, grouped per shard (one hash tag, so a shard's keys live on one Redis
 * Cluster slot) and applied in one round trip per batch. The in-memory store
 * and the Redis store implement exactly these semantics and pass the same
 * conformance suite (state/conformance.ts).
 *
 * Keys are given as parts; the store escapes and joins them under the shard.
 * Every key carries a TTL, set when the key is created (keys are time
 * buckets, so a key's life is fixed by the window it counts). An op with
 * `renew` (FirstSeenOp, MinOp, MaxOp) sets its key's TTL to its ttlMs each
 * time it is applied instead, so the key lives while it is written.
 */

export type KeyParts = readonly (string | number)[];

/** HINCRBY: add `by` (an integer; 0 just reads) to a hash field; yields the new value. */
export interface IncrOp {
  key: KeyParts;
  field: string;
  by: number;
  ttlMs: number;
}

/** Keep the smaller of the stored integer and `value`; yields the stored value after. */
export interface MinOp {
  key: KeyParts;
  field: string;
  value: number;
  ttlMs: number;
  /** Set the key's TTL to ttlMs on every write, not only when the key is created. */
  renew?: boolean;
}

/** Keep the larger of the stored integer and `value`; yields the stored value after. */
export interface MaxOp {
  key: KeyParts;
  field: string;
  value: number;
  ttlMs: number;
  /** Set the key's TTL to ttlMs on every write, not only when the key is created. */
  renew?: boolean;
}

/**
 * Move a fence forward: keep the larger of the stored integer and `value`, except that a stored value at
 * or past `staleFrom` (an offset from an earlier life of the topic) is replaced. Unlike the time
 * buckets, a fence's TTL is renewed by every write. Yields the stored value after.
 *
 * `expected` is the value read before the batch (null: none). When the stored value is another, someone
 * else moved the fence since (a consumer that still held the partition): the shard's operations are
 * refused, none is applied, and its result says `fenceMoved` (its text writes and deletes, which are
 * not counters, are still made).
 */
export interface FenceOp {
  key: KeyParts;
  field: string;
  value: number;
  staleFrom?: number;
  expected: number | null;
  ttlMs: number;
}

/** Add members to a set unless it already holds `cap` members; yields the cardinality after. */
export interface SetAddOp {
  key: KeyParts;
  members: readonly string[];
  cap: number;
  ttlMs: number;
}

/** HSETNX unless the hash already holds `cap` fields; yields [1 new | 0 known | -1 full, fields after]. */
export interface FirstSeenOp {
  key: KeyParts;
  field: string;
  value: number;
  cap: number;
  ttlMs: number;
  /** Set the key's TTL to ttlMs each time the op is applied (new, known or full alike), not only when the key is created. */
  renew?: boolean;
}

/**
 * PFADD: add members to a HyperLogLog (a distinct count in a few KB whatever
 * the members, about 0.8% off in Redis). The key gets its TTL when created,
 * like the time buckets; an op without members creates nothing. No result.
 */
export interface SketchAddOp {
  key: KeyParts;
  members: readonly string[];
  ttlMs: number;
}

/**
 * Set text fields of a hash (HSET): a checkpoint of state a partition owns.
 * The hash gets its TTL when created; later writes keep it.
 */
export interface TextWriteOp {
  key: KeyParts;
  fields: readonly (readonly [field: string, value: string])[];
  ttlMs: number;
  /** At most this many fields in the hash: existing ones are updated, new ones beyond it dropped (counted in ShardResult.dropped). */
  cap?: number;
}

/** Members to admit into a capped hash (route templates of an api): known ones are admitted, new ones while there is room. */
export interface AdmitOp {
  tag: string;
  key: KeyParts;
  members: readonly string[];
  cap: number;
  ttlMs: number;
}

/** Text fields to delete from a hash (HDEL): checkpoints that moved to another hash. */
export interface TextDeleteOp {
  key: KeyParts;
  fields: readonly string[];
}

/** Text fields to read from one hash (HMGET); null for a missing field or hash. */
export interface TextRead {
  tag: string;
  key: KeyParts;
  fields: readonly string[];
}

/** An integer field to read (a fence); null when it or its hash is missing. */
export interface FieldRead {
  tag: string;
  key: KeyParts;
  field: string;
}

/** What a batch reads before it computes: one round trip. */
export interface PrepareRequest {
  /** Also read the known-threats version. */
  threats: boolean;
  texts: readonly TextRead[];
  fences?: readonly FieldRead[];
  admit?: readonly AdmitOp[];
  /** Event time of the batch: the in-memory store's clock for admissions it creates. */
  now?: number;
}

export interface Prepared {
  /** The known-threats version ('0' when none was loaded, undefined when not asked for). */
  threatsVersion: string | undefined;
  /** One array per TextRead, a value or null per field. */
  texts: (string | null)[][];
  /** One value per FieldRead of `fences`. */
  fences: (number | null)[];
  /** One array per AdmitOp: whether each member is admitted. */
  admitted: boolean[][];
}

export interface ShardOps {
  /** The hash tag; usually the api name. */
  tag: string;
  incr: IncrOp[];
  min: MinOp[];
  max?: MaxOp[];
  setAdd: SetAddOp[];
  firstSeen: FirstSeenOp[];
  fences: FenceOp[];
  /** Hashes to read after the writes (HGETALL, integer values). */
  reads: KeyParts[];
  /** Text hashes to write (checkpoints); no result. */
  texts: TextWriteOp[];
  /** Text fields to delete, after the writes; no result. */
  textDeletes?: TextDeleteOp[];
  /** Distinct-count sketches to add to (PFADD); no result. */
  sketches?: SketchAddOp[];
}

export interface ShardResult {
  incr: number[];
  min: number[];
  max: number[];
  setAdd: number[];
  firstSeen: [number, number][];
  fences: number[];
  reads: Record<string, number>[];
  /** A fence was not at its `expected` value: nothing but the texts was applied (FenceOp). */
  fenceMoved?: boolean;
  /** New text fields dropped because their hash was full (TextWriteOp.cap). */
  dropped: number;
}

export interface StatePlan {
  /** Event time of the batch: the in-memory store's clock for expiry. */
  now: number;
  shards: ShardOps[];
}

export interface FindingClaim {
  id: string;
  severity: string;
}

export interface StateStore {
  /** Applies every shard's operations; results in the same order as the operations. */
  apply(plan: StatePlan): Promise<ShardResult[]>;
  /**
   * Of these finding ids, the ones already published (claimed), each with the
   * severity recorded for it (`'1'` for a claim written before claims
   * recorded one).
   */
  claimed(ids: readonly string[]): Promise<Map<string, string>>;
  /** Records finding ids as published, each with the highest severity published under it, for `ttlMs`. */
  claim(claims: readonly FindingClaim[], ttlMs: number, now: number): Promise<void>;
  /** Reads what a batch needs before it computes (the known-threats version, checkpoints), in one round trip. */
  prepare(request: PrepareRequest): Promise<Prepared>;
  /** Round trips to the backing store so far (0 for memory). */
  readonly roundTrips: number;
}

export function emptyShard(tag: string): ShardOps {
  return { tag, incr: [], min: [], max: [], setAdd: [], firstSeen: [], fences: [], reads: [], texts: [], textDeletes: [], sketches: [] };
}
