/**
 * What the engine knows of one subject (a principal, IP or client on one
 * api): its 5-minute windows, hour counts, routes and object ids. Events are
 * keyed by client, so the partition that owns a subject sees all of its
 * events: this state lives in the process that holds the partition, and is
 * checkpointed to the state store with every batch that touches it
 * (`toCheckpoint`), to be read back (`fromCheckpoint`) after a restart, a
 * rebalance or an eviction.
 *
 * Entries are keyed by absolute event time (a 5-minute window, an hour, an
 * enumeration window), so an event for an entry always continues its count:
 * each touch keeps the entry `ttlMs` of event time past `now`, and an entry
 * nobody touched for that long is dropped when the subject is next
 * checkpointed. `now` is the process's watermark, which other partitions may
 * have carried far past this subject's own time (a backlog, a partition
 * taken over from a dead replica): an entry it overtook is kept, not
 * started again from zero, or the subject's windows would count part of
 * their calls depending on how its partition was interleaved with others.
 *
 * A state also says which events it holds: per partition, the offset up to
 * which it has counted them (`fences`, checkpointed with it). A replay from
 * an older commit (a crash, a rebalance, a failed batch fetched again) skips
 * the events a subject holds already instead of counting them twice.
 */

/**
 * Counters of a 5-minute window, by position (checkpoints store the array as it is): calls, 4xx answers,
 * failed logins, calls with an automation user agent, response bytes, the gaps between calls measured
 * (at most a minute), their sum, the sum of their squares (in units of 100 ms², for the variance), then
 * the calls of each of the window's five minutes.
 */
export const SW = { calls: 0, clientErrors: 1, authFailures: 2, automationCalls: 3, bytes: 4, gaps: 5, gapSumMs: 6, gapSquareSum: 7, minute0: 8 } as const;
const SW_SIZE = 13;

interface Timed {
  expiresAt: number;
  /** The entry's checkpoint row, kept until the entry is handed out for a change. */
  text: string | undefined;
}

export interface WindowCounts extends Timed {
  c: number[];
}

export interface HourCounts extends Timed {
  n: number;
  bs: number;
}

export interface CappedSet extends Timed {
  members: Set<string>;
}

/** One route template in one enumeration window: the distinct object ids, and the calls by outcome. */
export interface ObjectWindow extends Timed {
  ids: Set<string>;
  n: number;
  ok: number;
  denied: number;
}

/** Adds a member unless the set holds `cap` already; returns the set's size. */
export function addCapped(set: CappedSet, member: string, cap: number): number {
  if (set.members.size < cap) set.members.add(member);
  return set.members.size;
}

/** Marks an entry changed (its checkpoint row is written anew) and keeps it `ttlMs` past `now`. */
function touch<V extends Timed>(v: V, now: number, ttlMs: number): V {
  v.text = undefined;
  if (v.expiresAt < now + ttlMs) v.expiresAt = now + ttlMs;
  return v;
}

function liveSet(map: Map<number, CappedSet>, w5: number, now: number, ttlMs: number): CappedSet {
  const v = map.get(w5);
  if (v) return touch(v, now, ttlMs);
  const created: CappedSet = { expiresAt: now + ttlMs, text: undefined, members: new Set() };
  map.set(w5, created);
  return created;
}

/**
 * Appends the entries alive at `now` to `parts` as a JSON array, one row
 * each (an entry the batch did not change keeps its text from the last
 * checkpoint); expired entries are dropped from the map.
 */
function pushRows<K, V extends Timed>(parts: string[], map: Map<K, V>, now: number, row: (k: K, v: V) => unknown): void {
  parts.push('[');
  let first = true;
  map.forEach((v, k) => {
    if (v.expiresAt <= now) return void map.delete(k);
    if (!first) parts.push(',');
    parts.push((v.text ??= JSON.stringify(row(k, v))));
    first = false;
  });
  parts.push(']');
}

type WindowRow = [w5: number, expiresAt: number, counts: number[]];
type HourRow = [hour: number, expiresAt: number, n: number, bs: number];
type SetRow = [w5: number, expiresAt: number, members: string[]];
type ObjectRow = [key: string, expiresAt: number, n: number, ok: number, denied: number, ids: string[]];

/** At most this many partitions' offsets per subject (a subject's calls come from one partition, or from a few: an IP's logins). */
export const MAX_FENCES = 64;

interface Checkpoint {
  l: number | null;
  /** Per partition (batch source), the offset its events are counted up to; absent in checkpoints written before fences. */
  f?: [source: string, offset: number][];
  w: WindowRow[];
  h: HourRow[];
  r: SetRow[];
  p: SetRow[];
  o: ObjectRow[];
}

export class SubjectState {
  /** Event time of the subject's latest call. */
  lastSeen: number | undefined;
  readonly windows = new Map<number, WindowCounts>();
  readonly hours = new Map<number, HourCounts>();
  readonly routes = new Map<number, CappedSet>();
  readonly loginPrincipals = new Map<number, CappedSet>();
  /** By `${routeKey} ${enumeration window}` (the window is a number: the last space ends the route; nothing to escape in a checkpoint). */
  readonly objects = new Map<string, ObjectWindow>();
  /** The previous clock hour's counts, as first read during `hour` (kept for the hour; not checkpointed). */
  baseline: { hour: number; n: number; bytes: number } | undefined;
  /** The hour bucket its checkpoint was last written to or read from (not checkpointed): a move deletes the old copy. */
  checkpointHour: number | undefined;
  /** The engine's count of batches when one last changed it (not checkpointed): a checkpoint taken before that holds an older state. */
  changedAt = 0;
  /** Per partition (batch source key), the highest offset whose events this state has counted. */
  readonly fences = new Map<string, number>();

  /** Notes that this state holds the source's events up to `offset` (a new source past `MAX_FENCES` replaces the oldest). */
  fence(source: string, offset: number): void {
    if (!this.fences.has(source) && this.fences.size >= MAX_FENCES) this.fences.delete(this.fences.keys().next().value as string);
    this.fences.set(source, offset);
  }

  // Get-or-start, one per kind of entry (no callback: these run for every event). A kept entry lives `ttlMs` past `now`.
  window(w5: number, now: number, ttlMs: number): WindowCounts {
    const v = this.windows.get(w5);
    if (v) return touch(v, now, ttlMs);
    const created: WindowCounts = { expiresAt: now + ttlMs, text: undefined, c: new Array<number>(SW_SIZE).fill(0) };
    this.windows.set(w5, created);
    return created;
  }

  hour(h: number, now: number, ttlMs: number): HourCounts {
    const v = this.hours.get(h);
    if (v) return touch(v, now, ttlMs);
    const created: HourCounts = { expiresAt: now + ttlMs, text: undefined, n: 0, bs: 0 };
    this.hours.set(h, created);
    return created;
  }

  routeSet(w5: number, now: number, ttlMs: number): CappedSet {
    return liveSet(this.routes, w5, now, ttlMs);
  }

  loginPrincipalSet(w5: number, now: number, ttlMs: number): CappedSet {
    return liveSet(this.loginPrincipals, w5, now, ttlMs);
  }

  objectWindow(key: string, now: number, ttlMs: number): ObjectWindow {
    const v = this.objects.get(key);
    if (v) return touch(v, now, ttlMs);
    const created: ObjectWindow = { expiresAt: now + ttlMs, text: undefined, ids: new Set(), n: 0, ok: 0, denied: 0 };
    this.objects.set(key, created);
    return created;
  }

  /** The entries still alive at `now`, as JSON text (expired ones are dropped from this state too). */
  toCheckpoint(now: number): string {
    // The shape of `Checkpoint`, written row text by row text and joined once.
    const parts = ['{"l":', JSON.stringify(this.lastSeen ?? null), ',"f":', this.fences.size === 0 ? '[]' : JSON.stringify([...this.fences]), ',"w":'];
    pushRows(parts, this.windows, now, (k, v): WindowRow => [k, v.expiresAt, v.c]);
    parts.push(',"h":');
    pushRows(parts, this.hours, now, (k, v): HourRow => [k, v.expiresAt, v.n, v.bs]);
    parts.push(',"r":');
    pushRows(parts, this.routes, now, (k, v): SetRow => [k, v.expiresAt, [...v.members]]);
    parts.push(',"p":');
    pushRows(parts, this.loginPrincipals, now, (k, v): SetRow => [k, v.expiresAt, [...v.members]]);
    parts.push(',"o":');
    pushRows(parts, this.objects, now, (k, v): ObjectRow => [k, v.expiresAt, v.n, v.ok, v.denied, [...v.ids]]);
    parts.push('}');
    return parts.join('');
  }

  static fromCheckpoint(text: string): SubjectState {
    const c = JSON.parse(text) as Checkpoint;
    const s = new SubjectState();
    s.lastSeen = c.l ?? undefined;
    for (const [source, offset] of c.f ?? []) s.fences.set(source, offset);
    for (const [w5, expiresAt, counts] of c.w) s.windows.set(w5, { expiresAt, text: undefined, c: counts });
    for (const [h, expiresAt, n, bs] of c.h) s.hours.set(h, { expiresAt, text: undefined, n, bs });
    for (const [w5, expiresAt, members] of c.r) s.routes.set(w5, { expiresAt, text: undefined, members: new Set(members) });
    for (const [w5, expiresAt, members] of c.p) s.loginPrincipals.set(w5, { expiresAt, text: undefined, members: new Set(members) });
    for (const [key, expiresAt, n, ok, denied, ids] of c.o) s.objects.set(key, { expiresAt, text: undefined, ids: new Set(ids), n, ok, denied });
    return s;
  }
}
