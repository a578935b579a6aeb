import type { ApiTransaction, Direction, Finding, Subject } from '@vigil/contracts';
import { defaultDetectorsConfig, type DetectorsConfig } from './config.js';
import { allDetectors } from './detectors/index.js';
import { createEnricher } from './enrich.js';
import { findingId } from './finding-id.js';
import { claimsOf, higherClaim, toPublish } from './publication.js';
import { BoundedMap } from './lru.js';
import { StateError } from '@vigil/errors';
import { emptyShard, type KeyParts, type ShardOps, type ShardResult, type StateStore, type TextRead } from '@vigil/state';
import { addToHour, countRouteEvent, emptyRouteCounts, hasRateLimit, routeCountFields, routeCountN, type RouteCounts } from './route-counters.js';
import { isDigits } from './route-template.js';
import { LATENCY_BINS, SIZE_BINS } from './stats.js';
import { addCapped, SubjectState, SW, type CappedSet, type HourCounts, type ObjectWindow } from './subject-state.js';
import { emptyThreats, type ThreatMatcher } from './threats.js';
import type {
  ApiWindow,
  DetectContext,
  Detector,
  EnrichedEvent,
  LoginWindow,
  RouteStats,
  RouteWindow,
  SubjectRouteWindow,
  SubjectWindow,
} from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const WINDOW_5M = 300_000;
const DAY = 24 * HOUR;
/** How long a published finding id is remembered (replays within it emit nothing new). */
export const CLAIM_TTL_MS = 7 * DAY;
/** How long the shared counters' fences live without a write (each batch of their api and partition renews it). */
const FENCE_TTL_MS = 7 * DAY;
/**
 * Subject checkpoints are filed under the hour of the subject's latest event
 * and kept 5 hours: its longest-lived entry (an hour's counts, 3 hours) plus
 * that hour and slack. A subject is looked for in the hours around the
 * batch's, latest first.
 */
const CHECKPOINT_TTL_MS = 5 * HOUR;
const CHECKPOINT_HOURS = [1, 0, -1, -2, -3];
/** Where events of routes beyond an api's `maxRoutesPerApi` are counted. */
export const OVERFLOW_ROUTE = '{other}';

export interface EngineOptions {
  config?: DetectorsConfig;
  store: StateStore;
  detectors?: readonly Detector[];
  /** Loads the known-threats matcher; called at start and whenever the store's threats version changes. */
  loadThreats?: () => Promise<ThreatMatcher>;
  /** Entries kept in each in-process cache (subjects, baselines). */
  cacheLimit?: number;
  /**
   * When subject checkpoints are written. `batch` (the default): with every
   * batch that touches the subject, in the batch's state round trip (a
   * backtest, whose state is never read back by another process).
   * `deferred`: only by `checkpoint()`, and for a changed subject pushed out
   * of the cache with the next batch; a consumer calls `checkpoint()` on a
   * schedule and commits its offsets after each one (services/detector), so
   * a subject's checkpoint is written once an interval, not once a batch.
   */
  checkpoints?: 'batch' | 'deferred';
  /**
   * Deferred checkpoints are serialised this many subjects at a time (default 500: a few milliseconds'
   * work), yielding to the event loop in between, so that a checkpoint of tens of thousands of
   * subjects does not stall the batches in flight for the whole of it. They are written in one round trip.
   */
  checkpointSlice?: number;
  /**
   * A batch whose events span more than this much event time (ms) is
   * counted and judged in consecutive slices, in the batch's order, each
   * spanning at most this much (at most `MAX_SLICES` slices, of a longer
   * span if the batch needs more): a backlog batch (a consumer catching
   * up after an outage) then judges its route windows as they pass, as
   * live batches would, instead of once at its end. Off when undefined or
   * 0. The detector service (`consumer.sliceMs`) and `vigil backtest`
   * (`--slice-ms`) set it, to `DEFAULT_SLICE_MS` (60 s) by default.
   */
  sliceMs?: number;
}

/**
 * Where a batch's events come from (a partition), with each event's offset.
 * Subject state notes the offset it has counted each partition up to (its
 * fences, checkpointed with it), and so do each api's shared counters in the
 * store (a fence written by the same call as the counts), so a batch
 * replayed from an older offset (a failed batch fetched again, a restart or
 * a rebalance from the last commit) counts no event twice.
 */
export interface BatchSource {
  key: string;
  /** One per event of the batch, in the batch's order; increasing. */
  offsets: readonly number[];
  /**
   * The partition's high watermark (the offset its next message will get), when known. A fence at or
   * past it is from an earlier life of the topic (deleted and created again): it is ignored and replaced.
   */
  highWatermark?: number;
}

export interface BatchOutcome {
  /** Findings not published before (by id), or raised above the severity their window published (publication.ts), ready to publish. */
  findings: Finding[];
  /** Events counted under the route `{other}` because their api had `maxRoutesPerApi` routes that day; subject checkpoints dropped because their hour held `maxSubjectsPerApiHour`. */
  capped?: { routes: number; checkpoints: number };
  /** Findings suppressed because their id was already published. */
  duplicates: number;
  events: number;
  /** Per api and direction whose minutes closed in this batch: the last closed minute's count against the baseline (what dashboards plot). */
  apiRates?: ApiRate[];
}

/** At most this many api minutes close in one batch (a backlog after a long gap closes its latest minutes only). */
const MAX_CLOSING_MINUTES = 120;
/** A batch is counted in at most this many slices (`sliceMs`): each costs a state round trip. */
export const MAX_SLICES = 32;
/** The `sliceMs` the detector service (`consumer.sliceMs`) and `vigil backtest` (`--slice-ms`) use unless told otherwise. */
export const DEFAULT_SLICE_MS = 60_000;

interface ApiBaseline {
  expected: number | undefined;
  /** ApiMinute `dropExpectedPerMinute`: only a recent baseline has one. */
  dropExpected?: number;
  spread: number | undefined;
  kind: ApiWindow['baselineKind'];
}

export interface ApiRate {
  api: string;
  direction: ApiWindow['direction'];
  /** Start of the minute (event time) and its event count. */
  minute: number;
  observedPerMinute: number;
  /** Undefined while the baseline warms up. */
  expectedPerMinute: number | undefined;
}

type Handle = { shard: number; index: number };

/** One subject's checkpoint row, serialised: filed under `hour`, and deleted from `movedFrom` (the hour it was filed under before). */
interface CheckpointRow {
  state: SubjectState;
  api: string;
  key: string;
  hour: number;
  text: string;
  movedFrom: number | undefined;
}

/** A deferred checkpoint being serialised: each subject dirty when it was called, as it was then. */
interface CheckpointRun {
  now: number;
  /** The subjects dirty at the call and not serialised yet (by the checkpoint, or by a batch before changing them). */
  pending: Set<SubjectState>;
  /** Rows serialised, to be written. */
  ready: CheckpointRow[];
  /** Batch writes that carry subjects it left out (pushed out of the cache meanwhile): it succeeds only if they do. */
  delegated: Promise<unknown>[];
}

interface HashAcc {
  key: KeyParts;
  ttlMs: number;
  fields: Map<string, number>;
}

interface ShardBuilder {
  index: number;
  ops: ShardOps;
  hashes: Map<string, HashAcc>; // counters per key, flattened into ops.incr before the apply
  reads: Map<string, number>;
}

const keyOf = (parts: KeyParts) => parts.join('\u0000');

/** The kinds of subject that act (make calls); routes and apis are subjects of findings only. */
type ActorKind = 'ip' | 'principal' | 'client';

/** An acting subject on one api as the engine names it: built once and kept across batches, not per batch. */
interface Identity {
  api: string;
  subject: Subject;
  /** Its name in keys and checkpoints (`kind:value`). */
  key: string;
  /** Its state's id (`api\u0000kind:value`). */
  id: string;
  /** The batch that last listed it, and its actor there (read only while that batch lists its actors). */
  listedIn: number;
  actor: Actor | undefined;
}

/** A batch's acting subject on one api: its identity, its state, and the 5-minute windows the batch touched. */
interface Actor {
  identity: Identity;
  /** Set by `prepare`: held in memory, revived, or read back from its checkpoint. */
  state: SubjectState | undefined;
  windows: SubjectBatch[];
  /** The offset its state has counted the batch's partition up to, when that reaches into the batch: its events up to it are not counted again. */
  fence: number | undefined;
}

/**
 * Subject identities by api, kind and value, kept across batches: a subject's key and id strings are
 * built once (and hashed once), not for every batch it appears in. Bounded: past `limit` it is emptied
 * before a batch, and identities are built again as subjects come back.
 */
class Identities {
  private byApi = new Map<string, Record<ActorKind, Map<string, Identity>>>();
  private size = 0;
  private batches = 0;
  constructor(private readonly limit: number) {}

  /**
   * The acting subject of each inbound event: for login routes the IP (it is
   * the one trying principals), else principal > IP > client. One Actor per
   * subject and api in the batch, shared by its events. Returns each event's
   * actor, and the distinct ones. Synchronous: no other batch lists its actors
   * meanwhile.
   */
  actorsOf(events: readonly EnrichedEvent[]): { perEvent: (Actor | undefined)[]; distinct: Actor[] } {
    if (this.size > this.limit) this.clear();
    const batch = ++this.batches;
    const perEvent = new Array<Actor | undefined>(events.length);
    const distinct: Actor[] = [];
    const listed: Identity[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.direction !== 'inbound') continue;
      let kind: ActorKind;
      let value: string;
      if (e.login && e.clientIp) {
        kind = 'ip';
        value = e.clientIp;
      } else if (e.principal) {
        kind = 'principal';
        value = e.principal;
      } else if (e.clientIp) {
        kind = 'ip';
        value = e.clientIp;
      } else if (e.clientId) {
        kind = 'client';
        value = e.clientId;
      } else continue;
      let kinds = this.byApi.get(e.api);
      if (!kinds) this.byApi.set(e.api, (kinds = { ip: new Map(), principal: new Map(), client: new Map() }));
      const known = kinds[kind];
      let identity = known.get(value);
      if (!identity) {
        const subject: Subject = { kind, value };
        const key = subjectKey(subject);
        identity = { api: e.api, subject, key, id: `${e.api}\u0000${key}`, listedIn: 0, actor: undefined };
        known.set(value, identity);
        this.size++;
      }
      if (identity.listedIn !== batch) {
        identity.listedIn = batch;
        identity.actor = { identity, state: undefined, windows: [], fence: undefined };
        distinct.push(identity.actor);
        listed.push(identity);
      }
      perEvent[i] = identity.actor;
    }
    // The batch's actors (and through them its windows) are not kept past it.
    for (const identity of listed) identity.actor = undefined;
    return { perEvent, distinct };
  }

  clear(): void {
    this.byApi = new Map();
    this.size = 0;
  }
}

/**
 * Turns batches of events into findings. It owns the order of work: enrich,
 * read the checkpoints of subjects this process does not hold, count, one
 * batched state update (route and api counters in the store, plus the reads
 * it needs, and the touched subjects' checkpoints), build the detection
 * context, run every detector, give each finding its deterministic id, drop
 * ids already published. The same engine runs online (Kafka) and offline
 * (backtest); only the store differs.
 *
 * Per-subject state (subject-state.ts) is held here, for the partitions this
 * process consumes; `forgetSubjects` drops it when partitions move.
 */
export class DetectionEngine {
  readonly config: DetectorsConfig;
  private readonly store: StateStore;
  private readonly detectors: readonly Detector[];
  /**
   * Adds what the detectors derive from an event (its route template, object id, login route,
   * automation agent). `processEnriched` takes events already through it: a consumer enriches each
   * event as it decodes it, so the decoded object does not live as long as the batch.
   */
  readonly enrichEvent: (event: ApiTransaction) => EnrichedEvent;
  private readonly loadThreats: (() => Promise<ThreatMatcher>) | undefined;
  private threats: ThreatMatcher = emptyThreats;
  private threatsVersion: string | undefined;
  private watermark = 0;
  /** The clock api minutes close at: the watermark, held back by other partitions' pending events; never goes back. */
  private windowClock = 0;
  private lastClosedMinute: number | undefined;
  private readonly subjects: BoundedMap<string, SubjectState>;
  private readonly identities: Identities;
  private readonly routeBaselines: BoundedMap<string, { hour: number; stats: RouteWindow['baseline'] }>;
  /** Api expectations by `api\u0000direction\u0000hour`. */
  private readonly apiBaselines: BoundedMap<string, ApiBaseline>;
  private readonly knownApis: BoundedMap<string, { api: string; direction: Direction }>;
  /** Routes admitted (by `api\u0000direction-route`), with the day they were admitted for. */
  private readonly admittedRoutes: BoundedMap<string, number>;
  private readonly deferCheckpoints: boolean;
  /** Subjects changed since their checkpoint was last written (deferred checkpoints). */
  private readonly dirty = new Map<string, SubjectState>();
  /** Batches counted so far: a subject's `changedAt` says which one last changed it. */
  private changes = 0;
  /** Changed subjects the cache pushed out: their checkpoints go with the next batch. */
  private readonly evictedDirty = new Set<string>();
  private readonly checkpointSlice: number;
  private readonly sliceMs: number;
  /** The checkpoint being serialised (a batch serialises its own subjects into it before changing them). */
  private checkpointRun: CheckpointRun | undefined;
  /** The checkpoint under way, from its call until its last write is done (one at a time). */
  private checkpointing: Promise<unknown> | undefined;

  constructor(options: EngineOptions) {
    this.config = options.config ?? defaultDetectorsConfig;
    this.store = options.store;
    const enabled = this.config.enabled;
    this.detectors = (options.detectors ?? allDetectors).filter((d) => enabled[d.name] !== false);
    this.enrichEvent = createEnricher(this.config.credential_stuffing.loginRoutePattern);
    this.loadThreats = options.loadThreats;
    const limit = options.cacheLimit ?? 100_000;
    this.deferCheckpoints = options.checkpoints === 'deferred';
    this.checkpointSlice = Math.max(1, options.checkpointSlice ?? 500);
    this.sliceMs = options.sliceMs ?? 0;
    this.identities = new Identities(limit);
    this.subjects = new BoundedMap(limit, (id) => {
      if (this.dirty.has(id)) this.evictedDirty.add(id);
    });
    this.routeBaselines = new BoundedMap(Math.min(limit, 20_000));
    this.apiBaselines = new BoundedMap(5_000);
    this.knownApis = new BoundedMap(1_000);
    this.admittedRoutes = new BoundedMap(Math.min(limit, 50_000));
  }

  get eventTime(): number {
    return this.watermark;
  }

  /**
   * Drops the per-subject state held in this process: call it when the
   * partitions it consumes change (another replica may have moved their
   * subjects on since); subjects are then read back from their checkpoints.
   */
  forgetSubjects(): void {
    this.subjects.clear();
    this.identities.clear();
    this.dirty.clear();
    this.evictedDirty.clear();
  }

  /** Subjects whose changes no checkpoint holds yet (deferred checkpoints). */
  get uncheckpointed(): number {
    return this.dirty.size;
  }

  /**
   * Writes the checkpoints of every subject changed since its last one
   * (`checkpoints: 'deferred'`). Their state is taken as it is when this is
   * called: a caller that commits offsets afterwards commits those of the
   * batches processed before the call. The subjects are serialised in slices
   * (`checkpointSlice`), and batches go on between them: a batch serialises its
   * own subjects first, before it changes them. They are written in one round
   * trip. On failure nothing is marked written; the next call writes them
   * again.
   */
  async checkpoint(): Promise<{ subjects: number; dropped: number }> {
    // One at a time.
    while (this.checkpointing) await this.checkpointing.catch(() => undefined);
    if (this.dirty.size === 0) return { subjects: 0, dropped: 0 };
    const run = this.checkpointInSlices();
    this.checkpointing = run;
    try {
      return await run;
    } finally {
      this.checkpointing = undefined;
    }
  }

  private async checkpointInSlices(): Promise<{ subjects: number; dropped: number }> {
    const upTo = this.changes;
    const now = this.watermark;
    const taken = [...this.dirty];
    const run: CheckpointRun = { now, pending: new Set(taken.map(([, state]) => state)), ready: [], delegated: [] };
    this.checkpointRun = run;
    let results: ShardResult[];
    let rows: CheckpointRow[];
    try {
      // Serialised a slice at a time, the batches in flight going on in between.
      for (let i = 0; i < taken.length; i++) {
        if (i > 0 && i % this.checkpointSlice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const [id, state] = taken[i]!;
        if (run.pending.delete(state)) run.ready.push(checkpointRow(id, state, now));
      }
      this.checkpointRun = undefined;
      // Written at once, then committed by the caller: a process killed in between replays from the last commit
      // with subjects a checkpoint ahead of it (counted twice); one write keeps that window one round trip long.
      rows = run.ready;
      const shards = new Map<string, ShardOps>();
      this.checkpointOps(rows, (tag) => {
        let ops = shards.get(tag);
        if (!ops) shards.set(tag, (ops = emptyShard(tag)));
        return ops;
      });
      results = await this.store.apply({ now, shards: [...shards.values()] });
      filed(rows);
      await Promise.all(run.delegated);
    } finally {
      this.checkpointRun = undefined;
    }
    this.markWritten(taken, upTo);
    return { subjects: rows.length, dropped: results.reduce((sum, r) => sum + r.dropped, 0) };
  }

  /** Forgets the subjects among `written` that have not changed since change `upTo`. */
  private markWritten(written: Iterable<[string, SubjectState]>, upTo: number): void {
    for (const [id, state] of written) {
      if (state.changedAt > upTo) continue;
      this.dirty.delete(id);
      this.evictedDirty.delete(id);
    }
  }

  /**
   * Adds checkpoint rows to their api's shard: one hash per api and hour of
   * the subject's latest event; the copy under an hour it left is deleted.
   */
  private checkpointOps(rows: Iterable<CheckpointRow>, shard: (tag: string) => ShardOps): void {
    const checkpoints = new Map<string, [string, string][]>();
    const moved = new Map<string, string[]>();
    for (const row of rows) {
      const bucket = `${row.api}\u0000${row.hour}`;
      let fields = checkpoints.get(bucket);
      if (!fields) checkpoints.set(bucket, (fields = []));
      fields.push([row.key, row.text]);
      if (row.movedFrom !== undefined) {
        const old = `${row.api}\u0000${row.movedFrom}`;
        let olds = moved.get(old);
        if (!olds) moved.set(old, (olds = []));
        olds.push(row.key);
      }
    }
    for (const [bucket, fields] of checkpoints) {
      const [tag, hour] = bucket.split('\u0000') as [string, string];
      shard(tag).texts.push({ key: ['sc', Number(hour)], fields, ttlMs: CHECKPOINT_TTL_MS, cap: this.config.maxSubjectsPerApiHour });
    }
    for (const [bucket, fields] of moved) {
      const [tag, hour] = bucket.split('\u0000') as [string, string];
      (shard(tag).textDeletes ??= []).push({ key: ['sc', Number(hour)], fields });
    }
  }

  /**
   * Processes one batch; the findings it returns are not yet marked published (see markPublished).
   *
   * `options.holdAt`: the earliest event time that other partitions (of this process, or of its
   * consumer group) still have pending (fetched but not yet processed, or behind their high
   * watermark). Api minutes then close at that time rather than at the watermark, so that a
   * partition running ahead (catching up after an outage, say) does not close a minute the others
   * have not counted yet: a minute is judged once, when it closes. Leave it out when nothing else is
   * pending (a backtest, a caught-up consumer).
   */
  async process(batch: readonly ApiTransaction[], options: { holdAt?: number; source?: BatchSource } = {}): Promise<BatchOutcome> {
    return this.processEnriched(batch.map(this.enrichEvent), options);
  }

  /** `process`, for events from `enrichEvent` (the array is not reordered; events whose route is refused are moved to `{other}`). */
  async processEnriched(batch: readonly EnrichedEvent[], options: { holdAt?: number; source?: BatchSource } = {}): Promise<BatchOutcome> {
    if (batch.length === 0) return { findings: [], duplicates: 0, events: 0 };
    try {
      const cuts = this.sliceMs > 0 ? sliceBounds(batch, this.sliceMs, MAX_SLICES) : undefined;
      return cuts ? await this.processInSlices(batch, cuts, options.holdAt, options.source) : await this.processBatch(batch, options.holdAt, options.source);
    } catch (err) {
      // The batch will be fetched again. Deferred: the subject state is kept, and its fences (per source, the
      // offset it has counted up to) say which events it holds already. Per batch: subjects it counted are read
      // back from their last checkpoints.
      if (!this.deferCheckpoints) this.subjects.clear();
      throw err;
    }
  }

  /**
   * A batch cut at `cuts` (sliceBounds), slice by slice, each a batch of its own (its fences and offsets included):
   * a failure part way fails the whole batch, which is fetched again, and the slices it counted are then replays
   * that count nothing twice. The slices after one are this partition's events still pending: the window clock
   * waits for them too, so that a slice does not close an api minute the slices after it still count.
   */
  private async processInSlices(batch: readonly EnrichedEvent[], cuts: readonly number[], holdAt: number | undefined, source: BatchSource | undefined): Promise<BatchOutcome> {
    const slices = cuts.length - 1;
    const pendingAfter = new Array<number>(slices);
    let earliest = holdAt ?? Infinity;
    for (let i = slices - 1; i >= 0; i--) {
      pendingAfter[i] = earliest;
      for (let j = cuts[i]!; j < cuts[i + 1]!; j++) earliest = Math.min(earliest, batch[j]!.timestamp);
    }
    const outcomes: BatchOutcome[] = [];
    // What the slices before found counts as published (it is, with the batch): a later slice raises it, or repeats nothing.
    const publishedBefore = new Map<string, string>();
    for (let i = 0; i < slices; i++) {
      const from = cuts[i]!;
      const to = cuts[i + 1]!;
      const hold = pendingAfter[i]!;
      const outcome = await this.processBatch(batch.slice(from, to), hold === Infinity ? undefined : hold, source && { ...source, offsets: source.offsets.slice(from, to) }, publishedBefore);
      for (const c of claimsOf(outcome.findings)) publishedBefore.set(c.id, higherClaim(publishedBefore.get(c.id), c.severity)!);
      outcomes.push(outcome);
    }
    return mergeOutcomes(outcomes);
  }

  /** `publishedBefore`: per finding id, the severity the earlier slices of the batch found (published with the batch). */
  private async processBatch(
    batch: readonly EnrichedEvent[],
    holdAt: number | undefined,
    source: BatchSource | undefined,
    publishedBefore?: ReadonlyMap<string, string>,
  ): Promise<BatchOutcome> {
    const events = batch.slice().sort((a, b) => a.timestamp - b.timestamp);
    const latest = events[events.length - 1]!.timestamp;
    this.watermark = Math.max(this.watermark, latest);
    const now = this.watermark;
    this.windowClock = Math.max(this.windowClock, holdAt === undefined ? now : Math.min(now, holdAt));
    const windowsAt = this.windowClock;
    const cfg = this.config;
    const { perEvent: actors, distinct } = this.identities.actorsOf(events);
    const { refusedRoutes, fences } = await this.prepare(events, distinct, now, source);
    // A checkpoint being serialised takes this batch's subjects as they are, before the batch changes them.
    const run = this.checkpointRun;
    if (run) {
      for (const actor of distinct) if (run.pending.delete(actor.state!)) run.ready.push(checkpointRow(actor.identity.id, actor.state!, run.now));
    }
    // Events a subject's state holds already (an earlier attempt at this batch counted them, or its checkpoint was
    // written after them and the batch is replayed from an older commit): their offsets, only when some subject needs them.
    // The same for the shared route, api and login counters, per api (their fence is written with them).
    const sharedFences = source ? replayedShards(source, fences) : undefined;
    const offsetOf = source ? replayedOffsets(batch, source, distinct, sharedFences !== undefined) : undefined;

    const shards = new Map<string, ShardBuilder>();
    const shard = (tag: string): ShardBuilder => {
      let s = shards.get(tag);
      if (!s) {
        s = { index: shards.size, ops: emptyShard(tag), hashes: new Map(), reads: new Map() };
        shards.set(tag, s);
      }
      return s;
    };
    /** The counters of one hash key in this batch: one lookup per key, not per field. */
    const hash = (tag: string, key: KeyParts, ttlMs: number): Map<string, number> => {
      const s = shard(tag);
      const id = keyOf(key);
      let acc = s.hashes.get(id);
      if (!acc) {
        acc = { key, ttlMs, fields: new Map() };
        s.hashes.set(id, acc);
      }
      return acc.fields;
    };
    const add = (fields: Map<string, number>, field: string, by: number) => {
      fields.set(field, (fields.get(field) ?? 0) + by);
    };
    /** Asks for a key once per batch in a shard's read list; the handle finds its value in the results. */
    const read = (tag: string, key: KeyParts): Handle => {
      const s = shard(tag);
      const id = keyOf(key);
      let i = s.reads.get(id);
      if (i === undefined) {
        i = s.ops.reads.length;
        s.reads.set(id, i);
        s.ops.reads.push(key);
      }
      return { shard: s.index, index: i };
    };
    // The batch's minimums, set members and first sightings are gathered per key before they get here: one op each.
    const min = (tag: string, key: KeyParts, field: string, value: number, ttlMs: number) => {
      shard(tag).ops.min.push({ key, field, value, ttlMs });
    };
    /** Adds a batch's distinct members (at most `cap`) to a capped set. */
    const setAdd = (tag: string, key: KeyParts, members: ReadonlySet<string>, cap: number, ttlMs: number): Handle => {
      const s = shard(tag);
      s.ops.setAdd.push({ key, members: [...members], cap, ttlMs });
      return { shard: s.index, index: s.ops.setAdd.length - 1 };
    };
    const firstSeen = (tag: string, key: KeyParts, field: string, value: number, cap: number, ttlMs: number): Handle => {
      const s = shard(tag);
      s.ops.firstSeen.push({ key, field, value, cap, ttlMs });
      return { shard: s.index, index: s.ops.firstSeen.length - 1 };
    };

    // Route windows are judged at the batch's latest event: views of the last minutes up to it, which every partition
    // adds its events to. A partition behind the others (catching up) judges the windows it passes, with their events
    // too, rather than the latest one again; api minutes close once, at the window clock (below).
    const mNow = Math.floor(latest / MINUTE);
    const hNow = Math.floor(latest / HOUR);
    const bolaMs = cfg.bola_enumeration.windowMs;
    // A 5-minute window is only read while it is current (and for late events): keep it that long, not 30 minutes.
    const w5Ttl = WINDOW_5M + cfg.latenessMs + MINUTE;
    const routeHourTtl = (cfg.baselineHours + 2) * HOUR;

    interface RouteAcc {
      api: string;
      direction: Direction;
      route: string;
      rk: string;
      minutes: Map<number, RouteCounts>;
      /** Lowest rate-limit remaining share per minute, in 1/10000. */
      minRateLimit: Map<number, number>;
      /** Login windows by 5-minute window (login routes only). */
      logins: Map<number, LoginAcc>;
      signatures: Set<string>;
      eventIds: string[];
      newSigs: { sig: string; handle: Handle; eventId: string; timestamp: number }[];
      /** Subjects' object windows on this route by enumeration window (`${rk} ${wb}`): one key string a batch, not one an event. */
      objectKeys: Map<number, string>;
    }
    interface LoginAcc { api: string; route: string; rk: string; w5: number; n: number; failures: number; ips: Set<string>; principals: Set<string>; eventIds: string[] }
    const routes = new Map<string, RouteAcc>();
    /** The same routes by api, direction and route, for the per-event lookup (no key to build). */
    const routeIndex = new Map<string, { inbound: Map<string, RouteAcc>; outbound: Map<string, RouteAcc> }>();
    const subjects: SubjectBatch[] = [];
    const subjectRoutes = new Map<ObjectWindow, SubjectRouteBatch>();
    const logins: LoginAcc[] = [];

    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const tag = e.api;
      const m = Math.floor(e.timestamp / MINUTE);
      const w5 = Math.floor(e.timestamp / WINDOW_5M);
      const authFail = e.status === 401 || e.status === 403;

      // Route: counted per minute here, turned into minute and hour buckets after the loop.
      let byRoute = routeIndex.get(tag);
      if (!byRoute) routeIndex.set(tag, (byRoute = { inbound: new Map(), outbound: new Map() }));
      const sameDirection = byRoute[e.direction];
      let r = sameDirection.get(e.route);
      if (!r) {
        const dir = e.direction === 'inbound' ? 'i' : 'o';
        const rk = `${dir}${e.route}`;
        r = { api: e.api, direction: e.direction, route: e.route, rk, minutes: new Map(), minRateLimit: new Map(), logins: new Map(), signatures: new Set(), eventIds: [], newSigs: [], objectKeys: new Map() };
        sameDirection.set(e.route, r);
        routes.set(`${tag}\u0000${rk}`, r);
        firstSeen(tag, ['rmeta', rk], 'first', e.timestamp, 4, 30 * DAY);
        this.knownApis.set(`${tag}\u0000${dir}`, { api: e.api, direction: e.direction });
      }
      const rk = r.rk;
      // An event the shared counters hold already (counted before a replay) is not counted in them again.
      const shared = sharedFences === undefined || offsetOf!.get(e)! > (sharedFences.get(tag) ?? -1);
      if (shared) {
        let counts = r.minutes.get(m);
        if (!counts) r.minutes.set(m, (counts = emptyRouteCounts()));
        countRouteEvent(counts, e);
      }
      if (hasRateLimit(e)) {
        const permyriad = Math.floor((Math.min(e.rateLimitRemaining, e.rateLimitLimit) / e.rateLimitLimit) * 10_000);
        const low = r.minRateLimit.get(m);
        if (low === undefined || permyriad < low) r.minRateLimit.set(m, permyriad);
      }
      if (r.eventIds.length < 20) r.eventIds.push(e.id);
      if (e.responseSignature && !r.signatures.has(e.responseSignature)) {
        r.signatures.add(e.responseSignature);
        const handle = firstSeen(tag, ['rsig', rk], e.responseSignature.slice(0, 256), e.timestamp, cfg.schema_drift.maxKnownSignatures, 30 * DAY);
        r.newSigs.push({ sig: e.responseSignature, handle, eventId: e.id, timestamp: e.timestamp });
      }

      const actor = actors[i];
      if (actor) {
        const state = actor.state!;
        const subject = actor.identity.subject;
        const bytes = e.responseBytes;
        const hour = state.hour(Math.floor(e.timestamp / HOUR), now, 3 * HOUR);
        // The 5-minute window holds the per-minute counts too (m0…m4).
        const c = state.window(w5, now, w5Ttl).c;
        // An event the state holds already is seen again (views, evidence), not counted again.
        const count = actor.fence === undefined || offsetOf!.get(e)! > actor.fence;
        if (count) {
          hour.n++;
          if (bytes !== undefined) hour.bs += bytes;
          c[SW.n]!++;
          c[SW.m0 + m - w5 * 5]!++;
          if (e.status >= 400 && e.status < 500) c[SW.e4]!++;
          if (e.login && authFail) c[SW.af]!++;
          if (e.automationAgent) c[SW.ua]!++;
          if (bytes !== undefined) c[SW.bs]! += bytes;
          const last = state.lastSeen;
          if (last !== undefined) {
            const gap = e.timestamp - last;
            if (gap > 0 && gap <= MINUTE) {
              c[SW.gn]!++;
              c[SW.gs]! += gap;
              c[SW.gq]! += Math.round((gap * gap) / 100);
            }
          }
          if (last === undefined || e.timestamp >= last) state.lastSeen = e.timestamp;
        }
        const routeSet = state.routeSet(w5, now, w5Ttl);
        addCapped(routeSet, rk, 64);
        const windows = actor.windows;
        let s: SubjectBatch | undefined;
        for (let k = 0; k < windows.length; k++) if (windows[k]!.w5 === w5) s = windows[k];
        if (!s) {
          s = { api: e.api, subject, state, w5, counts: c, hourCounts: hour, routes: routeSet, loginPrincipals: undefined, userAgents: [], eventIds: [], paths: [] };
          windows.push(s);
          subjects.push(s);
        }
        if (e.login && subject.kind === 'ip' && e.principal) {
          s.loginPrincipals = state.loginPrincipalSet(w5, now, w5Ttl);
          addCapped(s.loginPrincipals, e.principal.slice(0, 256), 256);
        }
        if (e.userAgent && s.userAgents.length < 5) addDistinct(s.userAgents, e.userAgent.slice(0, 200));
        if (s.eventIds.length < 20) s.eventIds.push(e.id);
        if (s.paths.length < 10) addDistinct(s.paths, e.path.slice(0, 200));

        // Object ids per subject and route template (enumeration).
        if (e.objectId !== undefined) {
          const wb = Math.floor(e.timestamp / bolaMs);
          let objectsKey = r.objectKeys.get(wb);
          if (objectsKey === undefined) r.objectKeys.set(wb, (objectsKey = `${rk} ${wb}`));
          const objects = state.objectWindow(objectsKey, now, 3 * bolaMs);
          if (objects.ids.size < 1000) objects.ids.add(e.objectId);
          if (count) {
            objects.n++;
            if (e.status >= 200 && e.status < 300) objects.ok++;
            if (e.status === 401 || e.status === 403 || e.status === 404) objects.denied++;
          }
          let sr = subjectRoutes.get(objects);
          if (!sr) {
            sr = { api: e.api, subject, route: e.route, direction: e.direction, wb, objects, ids: [], eventIds: [] };
            subjectRoutes.set(objects, sr);
          }
          if (sr.ids.length < 200) sr.ids.push(e.objectId);
          if (sr.eventIds.length < 20) sr.eventIds.push(e.id);
        }
      }

      if (e.login) {
        let l = r.logins.get(w5);
        if (!l) {
          l = { api: e.api, route: e.route, rk, w5, n: 0, failures: 0, ips: new Set(), principals: new Set(), eventIds: [] };
          r.logins.set(w5, l);
          logins.push(l);
        }
        if (shared) l.n++;
        if (authFail) {
          if (shared) l.failures++;
          if (l.eventIds.length < 20) l.eventIds.push(e.id);
        }
        if (l.ips.size < 5000) l.ips.add(e.clientIp ?? '-');
        if (l.principals.size < 5000) l.principals.add((e.principal ?? '-').slice(0, 256));
      }
    }

    if (source) {
      // Each subject now holds the batch's events: its fence moves to the batch's last offset (a fence past it stays).
      const last = source.offsets[source.offsets.length - 1]!;
      for (const actor of distinct) if (actor.fence === undefined || actor.fence < last) actor.state!.fence(source.key, last);
      // The shared counters' fence, per api of the batch: written by the same script call as the counters.
      for (const api of routeIndex.keys()) {
        shard(api).ops.fences.push({ key: ['fence'], field: source.key, value: last, staleFrom: source.highWatermark, expected: fences.get(api) ?? null, ttlMs: FENCE_TTL_MS });
      }
    }
    const changed = ++this.changes;
    if (this.deferCheckpoints) {
      for (const actor of distinct) {
        this.dirty.set(actor.identity.id, actor.state!);
        actor.state!.changedAt = changed;
      }
    }

    // Route and api counters: minute and hour buckets, one HINCRBY per field and key.
    for (const r of routes.values()) {
      const dir = r.rk[0]!;
      const hours = new Map<number, RouteCounts>();
      for (const [m, counts] of r.minutes) {
        const h = Math.floor((m * MINUTE) / HOUR);
        let hc = hours.get(h);
        if (!hc) hours.set(h, (hc = emptyRouteCounts()));
        addToHour(hc, counts);
        const rm = hash(r.api, ['rm', r.rk, m], 3 * HOUR);
        routeCountFields(counts, (field, by) => add(rm, field, by));
        add(hash(r.api, ['am', dir, m], 3 * HOUR), 'n', routeCountN(counts));
      }
      for (const [m, permyriad] of r.minRateLimit) min(r.api, ['rm', r.rk, m], 'rlp', permyriad, 3 * HOUR);
      for (const [h, counts] of hours) {
        const rh = hash(r.api, ['rh', r.rk, h], routeHourTtl);
        routeCountFields(counts, (field, by) => add(rh, field, by));
        add(hash(r.api, ['ah', dir, h], 8 * DAY + HOUR), 'n', routeCountN(counts));
      }
    }

    // Subjects: their views now (their state is this batch's), their checkpoints with the batch's writes.
    const subjectWindows: SubjectWindow[] = [];
    for (const s of subjects) subjectWindows.push(subjectView(s, now));
    const srWindows: SubjectRouteWindow[] = [];
    for (const sr of subjectRoutes.values()) srWindows.push(subjectRouteView(sr, bolaMs));
    // Per batch, every subject it touched; deferred, only changed subjects the cache pushed out (they are read back from here).
    const evicted: [string, SubjectState][] = [];
    let delegatedBy: CheckpointRun | undefined;
    if (this.deferCheckpoints) {
      for (const id of this.evictedDirty) {
        const state = this.dirty.get(id);
        if (state && !this.subjects.has(id)) evicted.push([id, state]);
      }
      // Written here as they are now: a checkpoint under way (the one found before counting: no await since) leaves
      // them out, pending or serialised (its older rows would land after these), and waits for this batch's write.
      if (run && evicted.length > 0) {
        const newer = new Set<SubjectState>();
        for (const [, state] of evicted) newer.add(state);
        let leftOut = false;
        for (const state of newer) if (run.pending.delete(state)) leftOut = true;
        const ready = run.ready.filter((row) => !newer.has(row.state));
        if (ready.length < run.ready.length) leftOut = true;
        run.ready = ready;
        if (leftOut) delegatedBy = run;
      }
    }
    const rows = this.deferCheckpoints ? evicted.map(([id, state]) => checkpointRow(id, state, now)) : distinct.map((a) => checkpointRow(a.identity.id, a.state!, now));
    this.checkpointOps(rows, (tag) => shard(tag).ops);

    // Reads: current windows, and baselines the caches do not hold for this hour.
    const W = cfg.windowMinutes;
    const routeReads = new Map<string, { window: Handle[]; baseline?: Handle[]; meta?: Handle }>();
    for (const [id, r] of routes) {
      const window = Array.from({ length: W }, (_, i) => read(r.api, ['rm', r.rk, mNow - W + 1 + i]));
      const cached = this.routeBaselines.get(id);
      const entry: { window: Handle[]; baseline?: Handle[]; meta?: Handle } = { window };
      if (!cached || cached.hour !== hNow) {
        entry.baseline = Array.from({ length: cfg.baselineHours }, (_, i) => read(r.api, ['rh', r.rk, hNow - cfg.baselineHours + i]));
        entry.meta = read(r.api, ['rmeta', r.rk]);
      }
      routeReads.set(id, entry);
    }
    // Login windows: counts, and the IPs and principals seen, shared by every replica.
    const loginHandles = logins.map((l) => {
      const lw = hash(l.api, ['lw', l.rk, l.w5], w5Ttl);
      add(lw, 'n', l.n);
      if (l.failures > 0) add(lw, 'f', l.failures);
      return {
        window: read(l.api, ['lw', l.rk, l.w5]),
        ips: setAdd(l.api, ['lip', l.rk, l.w5], l.ips, 5000, w5Ttl),
        principals: setAdd(l.api, ['lpr', l.rk, l.w5], l.principals, 5000, w5Ttl),
      };
    });
    // Api minutes close at the window clock: the watermark, held back while other partitions have older events pending.
    const closedUpTo = Math.floor((windowsAt - cfg.latenessMs) / MINUTE) - 1;
    let closing: number[] = [];
    if (this.lastClosedMinute === undefined) this.lastClosedMinute = closedUpTo;
    else if (closedUpTo > this.lastClosedMinute) {
      const from = Math.max(this.lastClosedMinute + 1, closedUpTo - MAX_CLOSING_MINUTES + 1);
      closing = Array.from({ length: closedUpTo - from + 1 }, (_, i) => from + i);
      this.lastClosedMinute = closedUpTo;
    }
    // Each closing minute is judged against its own hour's expectation (a batch can close minutes of two hours, or more in a backlog).
    const closingHours = [...new Set(closing.map((mm) => Math.floor((mm * MINUTE) / HOUR)))];
    const apiReads = new Map<string, { minutes: Handle[]; baselines: Map<number, { seasonal: Handle[]; recent: Handle[] }> }>();
    if (closing.length > 0) {
      for (const [id, a] of this.knownApisSorted()) {
        const dir = a.direction === 'inbound' ? 'i' : 'o';
        const entry = { minutes: closing.map((mm) => read(a.api, ['am', dir, mm])), baselines: new Map<number, { seasonal: Handle[]; recent: Handle[] }>() };
        for (const h of closingHours) {
          if (this.apiBaselines.has(`${id}\u0000${h}`)) continue;
          entry.baselines.set(h, {
            seasonal: Array.from({ length: 7 }, (_, k) => read(a.api, ['ah', dir, h - 24 * (k + 1)])),
            recent: Array.from({ length: 3 }, (_, k) => read(a.api, ['ah', dir, h - 1 - k])),
          });
        }
        apiReads.set(id, entry);
      }
    }

    const builders = [...shards.values()];
    for (const b of builders) {
      for (const acc of b.hashes.values()) {
        for (const [field, by] of acc.fields) b.ops.incr.push({ key: acc.key, field, by, ttlMs: acc.ttlMs });
      }
    }
    const applying = this.store.apply({ now, shards: builders.map((b) => b.ops) });
    delegatedBy?.delegated.push(applying);
    const results = await applying;
    filed(rows);
    if (evicted.length > 0) this.markWritten(evicted, changed);
    if (results.some((r) => r.fenceMoved)) {
      // Counted meanwhile by a consumer that still held the partition: nothing of this api's shard was written.
      throw new StateError('VIGIL_STATE_FENCE_MOVED', `the shared counters' fence of ${source!.key} moved while the batch ran; it is counted again from there`, { retriable: true });
    }
    const got = (h: Handle) => results[h.shard]!.reads[h.index]!;
    const card = (h: Handle) => results[h.shard]!.setAdd[h.index]!;
    const first = (h: Handle) => results[h.shard]!.firstSeen[h.index]!;

    // Build the context.
    const routeWindows: RouteWindow[] = [];
    for (const [id, r] of routes) {
      const reads = routeReads.get(id)!;
      const current = emptyStats();
      for (const h of reads.window) addStats(current, got(h));
      let baseline = this.routeBaselines.get(id)?.stats;
      if (reads.baseline) {
        const b = { ...emptyStats(), hours: 0, firstSeenAt: undefined as number | undefined };
        for (const h of reads.baseline) {
          const rec = got(h);
          if ((rec.n ?? 0) > 0) b.hours++;
          addStats(b, rec);
        }
        b.firstSeenAt = reads.meta ? got(reads.meta).first : undefined;
        this.routeBaselines.set(id, { hour: hNow, stats: b });
        baseline = b;
      }
      const newSignatures = r.newSigs.filter((s) => first(s.handle)[0] === 1).map((s) => ({ signature: s.sig, eventId: s.eventId, timestamp: s.timestamp }));
      const lens = r.newSigs.map((s) => first(s.handle)[1]);
      routeWindows.push({
        api: r.api,
        direction: r.direction,
        route: r.route,
        current,
        windowStart: (mNow - W + 1) * MINUTE,
        windowEnd: (mNow + 1) * MINUTE,
        baseline: baseline!,
        newSignatures,
        knownSignatures: lens.length ? Math.max(...lens) - newSignatures.length : 0,
        sampleEventIds: r.eventIds,
      });
    }

    const loginWindows: LoginWindow[] = [];
    for (const [i, l] of logins.entries()) {
      const handles = loginHandles[i]!;
      const w = got(handles.window);
      const rb = this.routeBaselines.get(`${l.api}\u0000${l.rk}`)?.stats;
      loginWindows.push({
        api: l.api,
        route: l.route,
        windowStart: l.w5 * WINDOW_5M,
        windowEnd: (l.w5 + 1) * WINDOW_5M,
        n: w.n ?? 0,
        failures: w.f ?? 0,
        distinctIps: card(handles.ips),
        distinctPrincipals: card(handles.principals),
        baselineFailureShare: rb && rb.hours >= cfg.warmupHours && rb.n > 0 ? rb.af / rb.n : undefined,
        baselineN: rb?.n ?? 0,
        sampleEventIds: l.eventIds,
      });
    }

    const apiWindows: ApiWindow[] = [];
    for (const [id, reads] of apiReads) {
      const a = this.knownApis.get(id)!;
      const baseOf = new Map<number, ApiBaseline | undefined>();
      for (const h of closingHours) {
        let base = this.apiBaselines.get(`${id}\u0000${h}`);
        const r = reads.baselines.get(h);
        if (r) {
          const seasonal = r.seasonal.map((x) => got(x).n ?? 0).filter((n) => n > 0);
          const recent = r.recent.map((x) => got(x).n ?? 0).filter((n) => n > 0);
          if (seasonal.length >= cfg.volume_anomaly.seasonalDays) base = { ...robust(seasonal), kind: 'seasonal' };
          else if (recent.length >= Math.min(3, cfg.warmupHours)) {
            const b = robust(recent);
            // The latest hour's rate (r.recent[0] is the hour before): a drop is judged against it when it is lower.
            const latestHour = (got(r.recent[0]!).n ?? 0) / 60;
            base = { ...b, dropExpected: latestHour > 0 ? Math.min(b.expected, latestHour) : b.expected, kind: 'recent' };
          } else base = { expected: undefined, spread: undefined, kind: 'warming_up' };
          this.apiBaselines.set(`${id}\u0000${h}`, base);
        }
        baseOf.set(h, base);
      }
      const closedMinutes = closing.map((mm, i) => {
        const base = baseOf.get(Math.floor((mm * MINUTE) / HOUR));
        return {
          minute: mm * MINUTE,
          n: got(reads.minutes[i]!).n ?? 0,
          expectedPerMinute: base?.expected,
          dropExpectedPerMinute: base?.dropExpected,
          spreadPerMinute: base?.spread,
          baselineKind: base?.kind ?? ('warming_up' as const),
        };
      });
      const last = closedMinutes[closedMinutes.length - 1];
      apiWindows.push({
        api: a.api,
        direction: a.direction,
        closedMinutes,
        expectedPerMinute: last?.expectedPerMinute,
        spreadPerMinute: last?.spreadPerMinute,
        baselineKind: last?.baselineKind ?? 'warming_up',
      });
    }

    const ctx: DetectContext = {
      now,
      config: cfg,
      events,
      routes: routeWindows,
      apis: apiWindows,
      subjects: subjectWindows,
      subjectRoutes: srWindows,
      logins: loginWindows,
      threats: this.threats,
    };

    const byId = new Map<string, Finding>();
    for (const detector of this.detectors) {
      for (const d of detector.detect(ctx)) {
        const id = findingId(d);
        if (byId.has(id)) continue;
        const finding: Finding = { id, ...d, detectedAt: now, eventIds: d.eventIds.slice(0, 50) };
        if (finding.route === undefined) delete finding.route;
        if (finding.owasp === undefined) delete finding.owasp;
        byId.set(id, finding);
      }
    }
    const apiRates: ApiRate[] = [];
    for (const a of apiWindows) {
      const last = a.closedMinutes[a.closedMinutes.length - 1];
      if (last) apiRates.push({ api: a.api, direction: a.direction, minute: last.minute, observedPerMinute: last.n, expectedPerMinute: a.expectedPerMinute });
    }
    const capped = { routes: refusedRoutes, checkpoints: results.reduce((sum, r) => sum + r.dropped, 0) };
    if (byId.size === 0) return { findings: [], duplicates: 0, events: events.length, apiRates, capped };
    const already = await this.store.claimed([...byId.keys()]);
    const findings: Finding[] = [];
    for (const f of byId.values()) {
      const out = toPublish(f, higherClaim(already.get(f.id), publishedBefore?.get(f.id)));
      if (out) findings.push(out);
    }
    return { findings, duplicates: byId.size - findings.length, events: events.length, apiRates, capped };
  }

  /** Records findings as published (per window, the highest severity), so replays and restarts do not emit their ids again. */
  async markPublished(findings: readonly Finding[]): Promise<void> {
    if (findings.length > 0) await this.store.claim(claimsOf(findings), CLAIM_TTL_MS, this.watermark);
  }

  /**
   * One round trip before counting: the known-threats version (reloading the
   * matcher when it changed), the checkpoints of the batch's subjects this
   * process does not hold, and the admission of routes not admitted today
   * (`maxRoutesPerApi`; events of a refused route are moved to `{other}`),
   * and, given the batch's partition, each api's fence for it (the offset its
   * shared counters hold the events up to). Gives each actor its state;
   * returns how many events were moved, and the fences found.
   */
  private async prepare(events: EnrichedEvent[], actors: readonly Actor[], now: number, source: BatchSource | undefined): Promise<{ refusedRoutes: number; fences: Map<string, number> }> {
    const missing = new Map<string, Actor[]>();
    for (const actor of actors) {
      const state = this.subjects.get(actor.identity.id) ?? this.revived(actor.identity.id);
      if (state) actor.state = state;
      else {
        let ofApi = missing.get(actor.identity.api);
        if (!ofApi) missing.set(actor.identity.api, (ofApi = []));
        ofApi.push(actor);
      }
    }
    const hNow = Math.floor(now / HOUR);
    const reads: TextRead[] = [];
    for (const [api, ofApi] of missing) {
      const fields = ofApi.map((a) => a.identity.key);
      for (const k of CHECKPOINT_HOURS) reads.push({ tag: api, key: ['sc', hNow + k], fields });
    }
    // Routes not admitted for today in this process: asked for, per api (the batch's distinct routes first: no key per event).
    const day = Math.floor(now / DAY);
    const batchRoutes = new Map<string, { inbound: Set<string>; outbound: Set<string> }>();
    for (const e of events) {
      let byDirection = batchRoutes.get(e.api);
      if (!byDirection) batchRoutes.set(e.api, (byDirection = { inbound: new Set(), outbound: new Set() }));
      byDirection[e.direction].add(e.route);
    }
    const asked = new Map<string, string[]>();
    for (const [api, byDirection] of batchRoutes) {
      for (const direction of ['inbound', 'outbound'] as const) {
        for (const route of byDirection[direction]) {
          const rk = `${direction === 'inbound' ? 'i' : 'o'}${route}`;
          if (this.admittedRoutes.get(`${api}\u0000${rk}`) === day) continue;
          let rks = asked.get(api);
          if (!rks) asked.set(api, (rks = []));
          rks.push(rk);
        }
      }
    }
    const admit = [...asked].map(([api, rks]) => ({ tag: api, key: ['routes', day], members: rks, cap: this.config.maxRoutesPerApi, ttlMs: 2 * DAY }));
    // Per api, the offset of the batch's partition its shared counters hold the events up to.
    const fenceReads = source ? [...batchRoutes.keys()].map((api) => ({ tag: api, key: ['fence'], field: source.key })) : [];
    const fences = new Map<string, number>();
    if (!this.loadThreats && reads.length === 0 && admit.length === 0 && fenceReads.length === 0) return { refusedRoutes: 0, fences };
    const prepared = await this.store.prepare({ threats: this.loadThreats !== undefined, texts: reads, fences: fenceReads, admit, now });
    fenceReads.forEach((r, i) => {
      const fence = prepared.fences[i];
      if (fence !== null && fence !== undefined) fences.set(r.tag, fence);
    });
    const refused = new Set<string>();
    admit.forEach((a, i) => {
      a.members.forEach((rk, j) => {
        if (prepared.admitted[i]![j]) this.admittedRoutes.set(`${a.tag}\u0000${rk}`, day);
        else refused.add(`${a.tag}\u0000${rk}`);
      });
    });
    let refusedRoutes = 0;
    if (refused.size > 0) {
      for (const e of events) {
        if (!refused.has(`${e.api}\u0000${e.direction === 'inbound' ? 'i' : 'o'}${e.route}`)) continue;
        e.route = OVERFLOW_ROUTE;
        e.objectId = undefined;
        refusedRoutes++;
      }
    }
    if (this.loadThreats && prepared.threatsVersion !== this.threatsVersion) {
      this.threats = await this.loadThreats();
      this.threatsVersion = prepared.threatsVersion;
    }
    let at = 0;
    for (const ofApi of missing.values()) {
      const buckets = prepared.texts.slice(at, at + CHECKPOINT_HOURS.length);
      at += CHECKPOINT_HOURS.length;
      ofApi.forEach((actor, i) => {
        // Another batch in flight may have read it meanwhile: one state per subject.
        let state = this.subjects.get(actor.identity.id) ?? this.revived(actor.identity.id);
        if (!state) {
          const k = buckets.findIndex((b) => b[i] !== null && b[i] !== undefined);
          state = k >= 0 ? SubjectState.fromCheckpoint(buckets[k]![i]!) : new SubjectState();
          if (k >= 0) state.checkpointHour = hNow + CHECKPOINT_HOURS[k]!;
          this.subjects.set(actor.identity.id, state);
        }
        actor.state = state;
      });
    }
    return { refusedRoutes, fences };
  }

  /** A changed subject the cache pushed out before its checkpoint was written: held again, as it is. */
  private revived(id: string): SubjectState | undefined {
    const state = this.dirty.get(id);
    if (state) this.subjects.set(id, state);
    return state;
  }

  private *knownApisSorted(): Generator<[string, { api: string; direction: Direction }]> {
    const ids = [...this.knownApis.keys()].sort();
    for (const id of ids) yield [id, this.knownApis.get(id)!];
  }
}

function emptyStats(): RouteStats {
  return { n: 0, e4: 0, e5: 0, e429: 0, af: 0, latencySumMs: 0, latencyBins: new Array<number>(LATENCY_BINS).fill(0), bytesN: 0, bytesSum: 0, bytesBins: new Array<number>(SIZE_BINS).fill(0), rateLimitN: 0 };
}

function addStats(target: RouteStats, rec: Record<string, number>): void {
  for (const [field, v] of Object.entries(rec)) {
    switch (field) {
      case 'n': target.n += v; break;
      case 'e4': target.e4 += v; break;
      case 'e5': target.e5 += v; break;
      case 'e429': target.e429 += v; break;
      case 'af': target.af += v; break;
      case 'ls': target.latencySumMs += v / 1000; break;
      case 'bn': target.bytesN += v; break;
      case 'bs': target.bytesSum += v; break;
      case 'rln': target.rateLimitN += v; break;
      case 'rlp': target.minRateLimitPermyriad = target.minRateLimitPermyriad === undefined ? v : Math.min(target.minRateLimitPermyriad, v); break;
      default:
        if (field[0] === 'l') target.latencyBins[Number(field.slice(1))] = (target.latencyBins[Number(field.slice(1))] ?? 0) + v;
        else if (field[0] === 'b') target.bytesBins[Number(field.slice(1))] = (target.bytesBins[Number(field.slice(1))] ?? 0) + v;
    }
  }
}

function robust(hourCounts: number[]): { expected: number; spread: number } {
  const s = [...hourCounts].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const med = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const devs = s.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  const mad = devs.length % 2 ? devs[devs.length >> 1]! : (devs[(devs.length >> 1) - 1]! + devs[devs.length >> 1]!) / 2;
  const expected = med / 60;
  // Spread per minute: the hour-to-hour spread scaled to a minute, floored by Poisson noise.
  return { expected, spread: Math.max((1.4826 * mad) / 60, Math.sqrt(Math.max(expected, 1))) };
}

export type { ShardResult };

/** A fence that reaches into the batch: at or past its first offset, and before the high watermark (one past that is stale). */
function reachesInto(fence: number | undefined, source: BatchSource): fence is number {
  return fence !== undefined && fence >= source.offsets[0]! && (source.highWatermark === undefined || fence < source.highWatermark);
}

/** The apis whose shared counters hold some of the batch's events already, with their fence; undefined when none does. */
function replayedShards(source: BatchSource, fences: ReadonlyMap<string, number>): Map<string, number> | undefined {
  let replayed: Map<string, number> | undefined;
  for (const [api, fence] of fences) if (reachesInto(fence, source)) (replayed ??= new Map()).set(api, fence);
  return replayed;
}

/**
 * Marks the batch's actors whose state holds some of its events already (`actor.fence`: a fence at or past the
 * batch's first offset and before the high watermark; one past that is stale and left unmarked, to be replaced),
 * and then gives each event's offset; undefined when no actor does and no api's shared counters do
 * (`sharedReplayed`): the usual batch, with nothing to look up per event.
 */
function replayedOffsets(batch: readonly EnrichedEvent[], source: BatchSource, actors: readonly Actor[], sharedReplayed: boolean): Map<EnrichedEvent, number> | undefined {
  let any = sharedReplayed;
  for (const actor of actors) {
    const fence = actor.state!.fences.get(source.key);
    if (!reachesInto(fence, source)) continue;
    actor.fence = fence;
    any = true;
  }
  if (!any) return undefined;
  const offsets = new Map<EnrichedEvent, number>();
  for (let i = 0; i < batch.length; i++) offsets.set(batch[i]!, source.offsets[i]!);
  return offsets;
}

/**
 * Where a batch is cut into slices of at most `sliceMs` of event time, in the batch's order: the indexes where
 * slices start, and the batch's length; undefined when it is one slice. A slice ends when the latest event time
 * so far passes its start's by the span: a late event (older than those before it) never cuts. At most `max`
 * slices: a batch spanning more than `max` × `sliceMs` is cut into `max` slices of equal span.
 */
export function sliceBounds(batch: readonly { timestamp: number }[], sliceMs: number, max: number): number[] | undefined {
  let latest = batch[0]!.timestamp;
  let anchor = latest;
  for (let i = 1; i < batch.length; i++) if (batch[i]!.timestamp > latest) latest = batch[i]!.timestamp;
  if (latest - anchor < sliceMs) return undefined;
  const spanMs = Math.max(sliceMs, Math.ceil((latest - anchor) / max));
  let cuts: number[] | undefined;
  latest = anchor;
  for (let i = 1; i < batch.length; i++) {
    const t = batch[i]!.timestamp;
    if (t <= latest) continue;
    latest = t;
    if (latest - anchor < spanMs) continue;
    (cuts ??= [0]).push(i);
    anchor = latest;
    if (cuts.length === max) break;
  }
  if (cuts) cuts.push(batch.length);
  return cuts;
}

/**
 * One outcome for a batch counted in slices. No id repeats across them: what the earlier slices found counts as
 * published for the later ones (processInSlices), which count a window again as a duplicate or publish it raised.
 */
function mergeOutcomes(outcomes: readonly BatchOutcome[]): BatchOutcome {
  const merged: BatchOutcome = { findings: [], duplicates: 0, events: 0, apiRates: [], capped: { routes: 0, checkpoints: 0 } };
  for (const o of outcomes) {
    merged.events += o.events;
    merged.duplicates += o.duplicates;
    merged.findings.push(...o.findings);
    if (o.apiRates) merged.apiRates!.push(...o.apiRates);
    if (o.capped) {
      merged.capped!.routes += o.capped.routes;
      merged.capped!.checkpoints += o.capped.checkpoints;
    }
  }
  return merged;
}

function addDistinct(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/**
 * A subject's checkpoint row as its state is now (`id` is `api\u0000kind:value`). Files it under the hour
 * of its latest event, and notes the hour it leaves (its copy there is deleted with the write).
 */
function checkpointRow(id: string, state: SubjectState, now: number): CheckpointRow {
  const cut = id.indexOf('\u0000');
  const hour = Math.floor(state.lastSeen! / HOUR);
  const movedFrom = state.checkpointHour !== undefined && state.checkpointHour !== hour ? state.checkpointHour : undefined;
  return { state, api: id.slice(0, cut), key: id.slice(cut + 1), hour, text: state.toCheckpoint(now), movedFrom };
}

/**
 * Notes the hour each written row is filed under, once its write succeeded: a row that was never written
 * (its write failed, or a newer one took its place) leaves the subject's last written copy to be deleted
 * by the next. Hours only move forward (a subject's latest event does), whatever order writes end in.
 */
function filed(rows: readonly CheckpointRow[]): void {
  for (const row of rows) if (row.state.checkpointHour === undefined || row.hour > row.state.checkpointHour) row.state.checkpointHour = row.hour;
}

/** `kind:value`, the value cut to 256 characters: how a subject is named in keys and checkpoints. */
function subjectKey(subject: Subject): string {
  return `${subject.kind}:${subject.value.length > 256 ? subject.value.slice(0, 256) : subject.value}`;
}

/** A subject's 5-minute window as this batch touched it. */
interface SubjectBatch {
  api: string;
  subject: Subject;
  state: SubjectState;
  w5: number;
  /** The window's counters and its hour's counts in the subject's state (the view reads them without a lookup). */
  counts: number[];
  hourCounts: HourCounts;
  routes: CappedSet;
  loginPrincipals: CappedSet | undefined;
  /** Distinct, in order of first appearance (up to 5 and 10). */
  userAgents: string[];
  eventIds: string[];
  paths: string[];
}

/** A subject's 5-minute window as the detectors see it, after this batch. */
function subjectView(s: SubjectBatch, now: number): SubjectWindow {
  const state = s.state;
  const hour = Math.floor((s.w5 * WINDOW_5M) / HOUR);
  if (!state.baseline || state.baseline.hour !== hour) {
    const p = state.hours.get(hour - 1);
    state.baseline = p && p.expiresAt > now ? { hour, n: p.n, bytes: p.bs } : { hour, n: 0, bytes: 0 };
  }
  const prev = state.baseline;
  const w = s.counts;
  // The busiest minute of the window so far (m0…m4).
  let peakMinute = s.w5 * 5;
  let peakN = 0;
  for (let k = 0; k < 5; k++) {
    const n = w[SW.m0 + k]!;
    if (n > peakN) {
      peakN = n;
      peakMinute = s.w5 * 5 + k;
    }
  }
  // Baseline: the previous clock hour plus this hour before the window, per minute (a subject that
  // started 50 minutes ago at a steady rate is judged against that rate, not as new).
  const cur = s.hourCounts;
  const minutesBefore = 60 + Math.max(0, s.w5 * 5 - hour * 60);
  const before = Math.max(0, prev.n + cur.n - w[SW.n]!);
  const bytesBefore = Math.max(0, prev.bytes + cur.bs - w[SW.bs]!);
  const base = before > 0 ? { perMinute: before / minutesBefore, bytesPer5m: (bytesBefore / minutesBefore) * 5 } : undefined;
  const gn = w[SW.gn]!;
  const meanGap = gn > 0 ? w[SW.gs]! / gn : 0;
  const variance = gn > 1 ? Math.max(0, (w[SW.gq]! * 100) / gn - meanGap * meanGap) : undefined;
  return {
    api: s.api,
    subject: s.subject,
    minuteN: peakN,
    minuteStart: peakMinute * MINUTE,
    baselinePerMinute: base?.perMinute,
    windowStart: s.w5 * WINDOW_5M,
    windowEnd: (s.w5 + 1) * WINDOW_5M,
    n: w[SW.n]!,
    e4: w[SW.e4]!,
    authFailures: w[SW.af]!,
    gaps: { n: gn, meanMs: meanGap, cv: variance !== undefined && meanGap > 0 ? Math.sqrt(variance) / meanGap : undefined },
    automationAgentN: w[SW.ua]!,
    distinctRoutes: s.routes.members.size,
    loginPrincipals: s.loginPrincipals?.members.size ?? 0,
    bytesSum: w[SW.bs]!,
    baselineBytesPer5m: base?.bytesPer5m,
    userAgents: s.userAgents,
    sampleEventIds: s.eventIds,
    samplePaths: s.paths,
  };
}

/** A subject's calls on one route template in one enumeration window, as this batch touched them. */
interface SubjectRouteBatch {
  api: string;
  subject: Subject;
  route: string;
  direction: Direction;
  wb: number;
  objects: ObjectWindow;
  ids: string[];
  eventIds: string[];
}

/** A subject's calls on one route template in one enumeration window, after this batch. */
function subjectRouteView(sr: SubjectRouteBatch, windowMs: number): SubjectRouteWindow {
  // One pass over the batch's ids, nothing built but the sample: this runs for every subject and route a batch touches.
  const sampleIds: string[] = [];
  let numeric = 0;
  let seq = 0;
  let previous = 0;
  for (let i = 0; i < sr.ids.length; i++) {
    const id = sr.ids[i]!;
    if (sampleIds.length < 10 && !sampleIds.includes(id)) sampleIds.push(id);
    if (id.length > 15 || !isDigits(id)) continue;
    const value = Number(id);
    // Consecutive numeric ids at most 2 apart (and not the same) count as a sequential step.
    if (numeric > 0 && Math.abs(value - previous) <= 2 && value !== previous) seq++;
    previous = value;
    numeric++;
  }
  return {
    api: sr.api,
    subject: sr.subject,
    route: sr.route,
    direction: sr.direction,
    windowStart: sr.wb * windowMs,
    windowEnd: (sr.wb + 1) * windowMs,
    distinctIds: sr.objects.ids.size,
    n: sr.objects.n,
    ok: sr.objects.ok,
    denied: sr.objects.denied,
    sequentialShare: numeric > 2 ? seq / (numeric - 1) : undefined,
    sampleIds,
    sampleEventIds: sr.eventIds,
  };
}
