import { emptyShard, type ShardOps, type StateStore } from '@vigil/state';
import { storageKeys, storageTtlMs } from '../storage/keys.js';
import type { SubjectState } from '../subject-state.js';
import { DAY, HOUR } from '../units.js';
import type { Actor } from './batch.js';

/** One subject's checkpoint row, serialised: filed under `hour`, and deleted from `movedFrom` (the hour it was filed under before). */
export interface CheckpointRow {
  state: SubjectState;
  api: string;
  key: string;
  hour: number;
  text: string;
  movedFrom: number | undefined;
  /** Its memory (business-as-usual), when it changed since last written: filed under `day`, deleted from `movedFrom`. */
  memory?: { day: number; text: string; version: number; movedFrom: number | undefined };
}

/** A deferred checkpoint being serialised: each subject dirty when it was called, as it was then. */
export interface CheckpointRun {
  now: number;
  /** The subjects dirty at the call and not serialised yet (by the checkpoint, or by a batch before changing them). */
  pending: Set<SubjectState>;
  /** Rows serialised, to be written. */
  ready: CheckpointRow[];
  /** Batch writes that carry subjects it left out (pushed out of the cache meanwhile): it succeeds only if they do. */
  delegated: Promise<unknown>[];
}

/** The checkpoint rows a batch writes with its state, and what the checkpointer needs back after the write. */
export interface BatchCheckpoints {
  rows: CheckpointRow[];
  /** Changed subjects the cache pushed out, written with this batch (deferred). */
  evicted: [string, SubjectState][];
  /** The batch's change number. */
  changed: number;
  /** A checkpoint under way that left some of `evicted` to this batch's write. */
  delegatedBy: CheckpointRun | undefined;
}

export interface CheckpointerOptions {
  /** `batch`: every subject a batch touched is written with it. `deferred`: only by `checkpoint()`, and changed subjects the cache pushed out. */
  mode: 'batch' | 'deferred';
  /** Deferred checkpoints are serialised this many subjects at a time, yielding to the event loop in between. */
  slice: number;
  /** At most this many subject checkpoints per api and hour (`maxSubjectsPerApiHour`). */
  capPerApiHour: number;
}

/**
 * When subject checkpoints are written, and what is written. The engine asks
 * it before counting a batch (a checkpoint under way takes the batch's
 * subjects as they are, before they change), after counting (which subjects
 * changed, and the rows the batch writes with its state), and after the
 * write. Deferred, `checkpoint()` writes every subject changed since its last
 * checkpoint, in one round trip.
 */
export class Checkpointer {
  readonly deferred: boolean;
  /** Subjects changed since their checkpoint was last written (deferred). */
  private readonly dirty = new Map<string, SubjectState>();
  /** Changed subjects the cache pushed out: their checkpoints go with the next batch. */
  private readonly evictedDirty = new Set<string>();
  /** Batches counted so far: a subject's `changedAt` says which one last changed it. */
  private changes = 0;
  /** The checkpoint being serialised (a batch serialises its own subjects into it before changing them). */
  private run: CheckpointRun | undefined;
  /** The checkpoint under way, from its call until its last write is done (one at a time). */
  private writing: Promise<unknown> | undefined;

  constructor(private readonly options: CheckpointerOptions) {
    this.deferred = options.mode === 'deferred';
  }

  /** Subjects whose changes no checkpoint holds yet. */
  get uncheckpointed(): number {
    return this.dirty.size;
  }

  /** The cache pushed a subject out: if it changed since its checkpoint, the next batch writes it. */
  evicted(id: string): void {
    if (this.dirty.has(id)) this.evictedDirty.add(id);
  }

  /** A changed subject the cache pushed out before its checkpoint was written, as it is. */
  unwritten(id: string): SubjectState | undefined {
    return this.dirty.get(id);
  }

  /** Forgets every subject (the partitions moved: they are read back from their checkpoints). */
  forget(): void {
    this.dirty.clear();
    this.evictedDirty.clear();
  }

  /** Before a batch counts: a checkpoint being serialised takes the batch's subjects as they are now. */
  beforeCount(actors: readonly Actor[]): CheckpointRun | undefined {
    const run = this.run;
    if (run) for (const actor of actors) if (run.pending.delete(actor.state!)) run.ready.push(checkpointRow(actor.identity.id, actor.state!, run.now));
    return run;
  }

  /**
   * After a batch counted: its subjects changed (deferred, they are dirty now), and the rows it writes with its
   * state: per batch, every subject it touched; deferred, the changed subjects the cache pushed out (`stillCached`
   * tells), written as they are now. A checkpoint under way (`run`, found before counting) leaves those out,
   * pending or serialised (its older rows would land after these), and waits for this batch's write.
   */
  afterCount(actors: readonly Actor[], now: number, run: CheckpointRun | undefined, stillCached: (id: string) => boolean): BatchCheckpoints {
    const changed = ++this.changes;
    if (!this.deferred) return { rows: actors.map((a) => checkpointRow(a.identity.id, a.state!, now)), evicted: [], changed, delegatedBy: undefined };
    for (const actor of actors) {
      this.dirty.set(actor.identity.id, actor.state!);
      actor.state!.changedAt = changed;
    }
    const evicted: [string, SubjectState][] = [];
    for (const id of this.evictedDirty) {
      const state = this.dirty.get(id);
      if (state && !stillCached(id)) evicted.push([id, state]);
    }
    const delegatedBy = run && evicted.length > 0 && leaveOut(run, evicted) ? run : undefined;
    return { rows: evicted.map(([id, state]) => checkpointRow(id, state, now)), evicted, changed, delegatedBy };
  }

  /**
   * After the episodes stage changed subjects' episodes and business-as-usual (after the batch's own write):
   * deferred, they are dirty again, past any checkpoint under way; per batch, their rows are written now.
   */
  async afterSettle(changed: ReadonlyMap<string, SubjectState>, store: StateStore, now: number): Promise<void> {
    if (changed.size === 0) return;
    if (this.deferred) {
      const at = ++this.changes;
      for (const [id, state] of changed) {
        this.dirty.set(id, state);
        state.changedAt = at;
      }
      return;
    }
    const rows = [...changed].map(([id, state]) => checkpointRow(id, state, now));
    await this.writeRows(rows, store, now);
    filed(rows);
  }

  /** Writes rows in one round trip; what each api's write dropped past its cap. */
  private async writeRows(rows: readonly CheckpointRow[], store: StateStore, now: number): Promise<number> {
    const shards = new Map<string, ShardOps>();
    this.addRows(rows, (tag) => {
      let ops = shards.get(tag);
      if (!ops) shards.set(tag, (ops = emptyShard(tag)));
      return ops;
    });
    const results = await store.apply({ now, shards: [...shards.values()] });
    return results.reduce((sum, r) => sum + r.dropped, 0);
  }

  /** The batch's write is under way: a checkpoint that left rows to it waits for it. */
  writeStarted(batch: BatchCheckpoints, write: Promise<unknown>): void {
    batch.delegatedBy?.delegated.push(write);
  }

  /** The batch's write succeeded. */
  written(batch: BatchCheckpoints): void {
    filed(batch.rows);
    if (batch.evicted.length > 0) this.markWritten(batch.evicted, batch.changed);
  }

  /**
   * Adds checkpoint rows to their api's shard: one hash per api and hour (and, for memories, per api and day); the
   * copy under a bucket a subject left is deleted.
   */
  addRows(rows: Iterable<CheckpointRow>, shard: (tag: string) => ShardOps): void {
    const checkpoints = new Buckets();
    const memories = new Buckets();
    for (const row of rows) {
      checkpoints.add(row.api, row.key, row.hour, row.text, row.movedFrom);
      if (row.memory) memories.add(row.api, row.key, row.memory.day, row.memory.text, row.memory.movedFrom);
    }
    checkpoints.addTo(shard, storageKeys.subjectCheckpoints, storageTtlMs.subjectCheckpoints, this.options.capPerApiHour);
    memories.addTo(shard, storageKeys.subjectMemory, storageTtlMs.subjectMemory, this.options.capPerApiHour);
  }

  /**
   * Writes the checkpoints of every subject changed since its last one. Their state is taken as it is when this is
   * called: a caller that commits offsets afterwards commits those of the batches processed before the call. On
   * failure nothing is marked written; the next call writes them again.
   */
  async checkpoint(store: StateStore, now: number): Promise<{ subjects: number; dropped: number }> {
    while (this.writing) await this.writing.catch(() => undefined);
    if (this.dirty.size === 0) return { subjects: 0, dropped: 0 };
    const writing = this.serialiseAndWrite(store, now);
    this.writing = writing;
    try {
      return await writing;
    } finally {
      this.writing = undefined;
    }
  }

  private async serialiseAndWrite(store: StateStore, now: number): Promise<{ subjects: number; dropped: number }> {
    const upTo = this.changes;
    const taken = [...this.dirty];
    const run: CheckpointRun = { now, pending: new Set(taken.map(([, state]) => state)), ready: [], delegated: [] };
    this.run = run;
    try {
      await this.serialise(run, taken);
      this.run = undefined;
      // Written at once, then committed by the caller: a process killed in between replays from the last commit
      // with subjects a checkpoint ahead of it (counted twice); one write keeps that window one round trip long.
      const dropped = await this.writeRows(run.ready, store, now);
      filed(run.ready);
      await Promise.all(run.delegated);
      this.markWritten(taken, upTo);
      return { subjects: run.ready.length, dropped };
    } finally {
      this.run = undefined;
    }
  }

  /** A slice at a time, the batches in flight going on in between (a batch serialises its own subjects first). */
  private async serialise(run: CheckpointRun, taken: readonly [string, SubjectState][]): Promise<void> {
    for (let i = 0; i < taken.length; i++) {
      if (i > 0 && i % this.options.slice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const [id, state] = taken[i]!;
      if (run.pending.delete(state)) run.ready.push(checkpointRow(id, state, run.now));
    }
  }

  /** Forgets the subjects among `written` that have not changed since change `upTo`. */
  private markWritten(written: Iterable<[string, SubjectState]>, upTo: number): void {
    for (const [id, state] of written) {
      if (state.changedAt > upTo) continue;
      this.dirty.delete(id);
      this.evictedDirty.delete(id);
    }
  }
}

/** Takes subjects the batch writes itself out of a checkpoint under way; true when it held some of them. */
function leaveOut(run: CheckpointRun, evicted: readonly [string, SubjectState][]): boolean {
  const newer = new Set<SubjectState>();
  for (const [, state] of evicted) newer.add(state);
  let leftOut = false;
  for (const state of newer) if (run.pending.delete(state)) leftOut = true;
  const ready = run.ready.filter((row) => !newer.has(row.state));
  if (ready.length < run.ready.length) leftOut = true;
  run.ready = ready;
  return leftOut;
}

/** Rows of one family (checkpoints, memories) by api and time bucket, and the fields to delete from buckets they left. */
class Buckets {
  private readonly rows = new Map<string, [string, string][]>();
  private readonly moved = new Map<string, string[]>();

  add(api: string, key: string, bucket: number, text: string, movedFrom: number | undefined): void {
    push(this.rows, `${api}\u0000${bucket}`, [key, text]);
    if (movedFrom !== undefined) push(this.moved, `${api}\u0000${movedFrom}`, key);
  }

  addTo(shard: (tag: string) => ShardOps, keyOf: (bucket: number) => readonly (string | number)[], ttlMs: number, cap: number): void {
    for (const [id, fields] of this.rows) {
      const [tag, bucket] = id.split('\u0000') as [string, string];
      shard(tag).texts.push({ key: keyOf(Number(bucket)), fields, ttlMs, cap });
    }
    for (const [id, fields] of this.moved) {
      const [tag, bucket] = id.split('\u0000') as [string, string];
      (shard(tag).textDeletes ??= []).push({ key: keyOf(Number(bucket)), fields });
    }
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
}

/**
 * A subject's checkpoint row as its state is now (`id` is `api\u0000kind:value`). Files it under the hour
 * of its latest event, and notes the hour it leaves (its copy there is deleted with the write).
 */
function checkpointRow(id: string, state: SubjectState, now: number): CheckpointRow {
  const cut = id.indexOf('\u0000');
  const hour = Math.floor(state.lastSeen! / HOUR);
  const movedFrom = state.checkpointHour !== undefined && state.checkpointHour !== hour ? state.checkpointHour : undefined;
  const row: CheckpointRow = { state, api: id.slice(0, cut), key: id.slice(cut + 1), hour, text: state.toCheckpoint(now), movedFrom };
  if (state.memoryVersion > state.memoryWritten && state.usual.size > 0) {
    const day = Math.floor(state.lastSeen! / DAY);
    row.memory = { day, text: state.toMemory(), version: state.memoryVersion, movedFrom: state.memoryDay !== undefined && state.memoryDay !== day ? state.memoryDay : undefined };
  }
  return row;
}

/**
 * Notes the hour each written row is filed under, once its write succeeded: a row that was never written
 * (its write failed, or a newer one took its place) leaves the subject's last written copy to be deleted
 * by the next. Hours only move forward (a subject's latest event does), whatever order writes end in.
 */
function filed(rows: readonly CheckpointRow[]): void {
  for (const row of rows) {
    const state = row.state;
    if (state.checkpointHour === undefined || row.hour > state.checkpointHour) state.checkpointHour = row.hour;
    if (!row.memory) continue;
    if (state.memoryDay === undefined || row.memory.day > state.memoryDay) state.memoryDay = row.memory.day;
    state.memoryWritten = Math.max(state.memoryWritten, row.memory.version);
  }
}
