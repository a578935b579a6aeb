import type { ApiTransaction, Finding } from '@vigil/contracts';
import { loadDeclaredSpecs } from './inventory/declared.js';
import { InventoryMemory } from './inventory/memory.js';
import { WrittenMembers } from './storage/written-members.js';
import type { StateStore } from '@vigil/state';
import { defaultDetectorsConfig, type DetectorsConfig } from './config.js';
import { allDetectors } from './detectors/index.js';
import { createEnricher } from './enrich.js';
import type { ApiMinuteOutcome, ApiRate, BatchOutcome, BatchRecord, BatchSource } from './engine/batch.js';
import { Checkpointer } from './engine/checkpointer.js';
import { Identities } from './engine/identities.js';
import { KnownThreats, SubjectCache, WindowClock, type EngineParts } from './engine/parts.js';
import { RoutePeers } from './engine/peers.js';
import { ApiHistories } from './engine/api-histories.js';
import { replayedOffsets, replayedShared } from './engine/replay.js';
import { ShardPlan } from './engine/shard-plan.js';
import { MAX_SLICES, mergeOutcomes, pendingAfterSlices, sliceBounds } from './engine/slices.js';
import { applyState } from './engine/stages/apply.js';
import { count } from './engine/stages/count.js';
import { detect } from './engine/stages/detect.js';
import { settleEpisodes, SharedEpisodes, type VerdictLookup } from './engine/stages/episodes.js';
import { identify, unpublished } from './engine/stages/identify.js';
import { planState } from './engine/stages/plan.js';
import { prepare } from './engine/stages/prepare.js';
import { buildContext } from './engine/stages/views.js';
import { BoundedMap } from './lru.js';
import { claimsOf, higherClaim } from './publication.js';
import { storageTtlMs } from './storage/keys.js';
import type { ThreatMatcher } from './threats.js';
import type { AnyDetector, DetectContext, EnrichedEvent } from './types.js';

export type { ApiMinuteOutcome, ApiRate, BatchOutcome, BatchSource } from './engine/batch.js';
export type { ShardResult } from '@vigil/state';
export { DEFAULT_SLICE_MS, MAX_SLICES, sliceBounds } from './engine/slices.js';
export { OVERFLOW_ROUTE } from './storage/keys.js';

/** How long a published finding id is remembered (replays within it emit nothing new). */
export const CLAIM_TTL_MS = storageTtlMs.claim;

export interface EngineOptions {
  config?: DetectorsConfig;
  store: StateStore;
  detectors?: readonly AnyDetector[];
  /** Loads the known-threats matcher; called at start and whenever the store's threats version changes. */
  loadThreats?: () => Promise<ThreatMatcher>;
  /** Entries kept in each in-process cache (subjects, baselines). */
  cacheLimit?: number;
  /**
   * When subject checkpoints are written. `batch` (the default): with every batch that touches the subject, in the
   * batch's state round trip (a backtest, whose state is never read back by another process). `deferred`: only by
   * `checkpoint()`, and for a changed subject pushed out of the cache with the next batch; a consumer calls
   * `checkpoint()` on a schedule and commits its offsets after each one (services/detector).
   */
  checkpoints?: 'batch' | 'deferred';
  /** Deferred checkpoints are serialised this many subjects at a time (default 500), yielding to the event loop in between. */
  checkpointSlice?: number;
  /** A batch spanning more event time than this is counted and judged in slices (engine/slices.ts); off when 0 or undefined. */
  sliceMs?: number;
  /** The verdict people gave on findings like a draft's (its detector and subject): what a subject's business-as-usual may learn. */
  verdictOf?: VerdictLookup;
}

/**
 * Turns batches of events into findings, through a fixed sequence of stages
 * over one record per batch (engine/batch.ts): prepare (admission, threats,
 * checkpoint read-back), count (the per-event loop), plan and apply the state
 * (one round trip), views (the detectors' context), detect, identify (ids,
 * and what was published already). The same engine runs online (Kafka) and
 * offline (backtest); only the store differs. Per-subject state is held here,
 * for the partitions this process consumes; `forgetSubjects` drops it when
 * partitions move.
 */
export class DetectionEngine {
  readonly config: DetectorsConfig;
  /**
   * Adds what the detectors derive from an event (its route template, object id, login route, automation agent).
   * `processEnriched` takes events already through it: a consumer enriches each event as it decodes it, so the
   * decoded object does not live as long as the batch.
   */
  readonly enrichEvent: (event: ApiTransaction) => EnrichedEvent;
  private readonly parts: EngineParts;
  private readonly identities: Identities;
  private readonly sliceMs: number;
  private readonly episodes = new SharedEpisodes();
  private readonly verdictOf: VerdictLookup | undefined;
  /** The claim each finding returned makes (severity and revision classes), for markPublished to write. */
  private readonly claims = new WeakMap<Finding, string>();
  /** Per batch returned, the last api minute closed before it began (abandonBatch goes back to it; two partitions' batches may be in flight at once). */
  private readonly closedBefore = new WeakMap<BatchOutcome, number | undefined>();

  constructor(options: EngineOptions) {
    const config = options.config ?? defaultDetectorsConfig;
    const limit = options.cacheLimit ?? 100_000;
    const checkpointer = new Checkpointer({ mode: options.checkpoints ?? 'batch', slice: Math.max(1, options.checkpointSlice ?? 500), capPerApiHour: config.maxSubjectsPerApiHour });
    this.config = config;
    this.enrichEvent = createEnricher(config.credential_stuffing.loginRoutePattern);
    this.identities = new Identities(limit);
    this.sliceMs = options.sliceMs ?? 0;
    this.verdictOf = options.verdictOf;
    this.parts = {
      config,
      store: options.store,
      detectors: (options.detectors ?? allDetectors).filter((d) => config.enabled[d.name] !== false),
      subjects: new SubjectCache(limit, checkpointer),
      checkpointer,
      threats: new KnownThreats(options.loadThreats),
      clock: new WindowClock(),
      routeBaselines: new BoundedMap(Math.min(limit, 20_000)),
      apiBaselines: new BoundedMap(5_000),
      knownApis: new BoundedMap(1_000),
      admittedRoutes: new BoundedMap(Math.min(limit, 50_000)),
      peers: new RoutePeers(),
      apiHistories: new ApiHistories(),
      inventory: new InventoryMemory(config.inventory.maxEndpointsPerApi, loadDeclaredSpecs(config.inventory.specs)),
      loginMembers: new WrittenMembers(200_000),
    };
  }

  /** The watermark: the latest event time seen. */
  get eventTime(): number {
    return this.parts.clock.watermark;
  }

  /** Drops the per-subject state held in this process (the partitions it consumes moved); subjects are read back from their checkpoints. */
  forgetSubjects(): void {
    this.parts.subjects.clear();
    this.identities.clear();
    this.parts.checkpointer.forget();
  }

  /** The subjects this engine holds, and the size of each one's checkpoint (what a subject costs; benchmarks). */
  subjectFootprint(): { subjects: number; checkpointBytes: number[] } {
    const checkpointBytes = [...this.parts.subjects.states()].map((s) => Buffer.byteLength(s.toCheckpoint(this.parts.clock.watermark)));
    return { subjects: checkpointBytes.length, checkpointBytes };
  }

  /** Subjects whose changes no checkpoint holds yet (deferred checkpoints). */
  get uncheckpointed(): number {
    return this.parts.checkpointer.uncheckpointed;
  }

  /** Writes the checkpoints of every subject changed since its last one (deferred; engine/checkpointer.ts). */
  checkpoint(): Promise<{ subjects: number; dropped: number }> {
    return this.parts.checkpointer.checkpoint(this.parts.store, this.parts.clock.watermark);
  }

  /**
   * Processes one batch; the findings it returns are not yet marked published (see markPublished).
   *
   * `options.holdAt`: the earliest event time that other partitions (of this process, or of its consumer group)
   * still have pending. Api minutes then close at that time rather than at the watermark, so that a partition
   * running ahead does not close a minute the others have not counted yet. Leave it out when nothing else is
   * pending (a backtest, a caught-up consumer).
   */
  async process(batch: readonly ApiTransaction[], options: { holdAt?: number; source?: BatchSource } = {}): Promise<BatchOutcome> {
    return this.processEnriched(batch.map(this.enrichEvent), options);
  }

  /** `process`, for events from `enrichEvent` (the array is not reordered; events whose route is refused are moved to `{other}`). */
  async processEnriched(batch: readonly EnrichedEvent[], options: { holdAt?: number; source?: BatchSource } = {}): Promise<BatchOutcome> {
    if (batch.length === 0) return { findings: [], duplicates: 0, events: 0 };
    const closedBefore = this.parts.clock.lastClosedMinute;
    try {
      const cuts = this.sliceMs > 0 ? sliceBounds(batch, this.sliceMs, MAX_SLICES) : undefined;
      const outcome = cuts ? await this.processInSlices(batch, cuts, options.holdAt, options.source) : await this.processBatch(batch, options.holdAt, options.source, undefined);
      this.closedBefore.set(outcome, closedBefore);
      return outcome;
    } catch (err) {
      this.abandon(closedBefore);
      throw err;
    }
  }

  /** Records findings as published (per window, the highest severity), so replays and restarts do not emit their ids again. */
  async markPublished(findings: readonly Finding[]): Promise<void> {
    if (findings.length > 0) await this.parts.store.claim(claimsOf(findings, (f) => this.claims.get(f)), CLAIM_TTL_MS, this.parts.clock.watermark);
  }

  /**
   * The batch that returned `outcome` failed (publishing or marking its findings) and will be fetched again: the api
   * minutes it closed close again then, so a finding they held is not skipped. Deferred: the subject state is kept,
   * and its fences say which events it holds already. Per batch: subjects it counted are read back from their last
   * checkpoints.
   */
  abandonBatch(outcome: BatchOutcome): void {
    this.abandon(this.closedBefore.get(outcome));
  }

  /**
   * Goes back to the last api minute closed before the failed batch began, or earlier: minutes another batch in
   * flight closed since are judged again too (their findings are claimed, so nothing is published twice), and none
   * the failed batch closed is skipped. Undefined: the batch was the first, which closes nothing.
   */
  private abandon(closedBefore: number | undefined): void {
    const clock = this.parts.clock;
    if (closedBefore !== undefined && clock.lastClosedMinute !== undefined) clock.lastClosedMinute = Math.min(clock.lastClosedMinute, closedBefore);
    if (!this.parts.checkpointer.deferred) this.parts.subjects.clear();
    this.parts.inventory.forgetMarks();
    this.parts.loginMembers.forget();
  }

  /**
   * Each slice is a batch of its own (its fences and offsets included): a failure part way fails the whole batch,
   * which is fetched again, and the slices it counted are then replays that count nothing twice.
   */
  private async processInSlices(batch: readonly EnrichedEvent[], cuts: readonly number[], holdAt: number | undefined, source: BatchSource | undefined): Promise<BatchOutcome> {
    const pendingAfter = pendingAfterSlices(batch, cuts, holdAt);
    const outcomes: BatchOutcome[] = [];
    // What the slices before found counts as published (it is, with the batch): a later slice raises it, or repeats nothing.
    const publishedBefore = new Map<string, string>();
    for (let i = 0; i < cuts.length - 1; i++) {
      const [from, to] = [cuts[i]!, cuts[i + 1]!];
      const outcome = await this.processBatch(batch.slice(from, to), pendingAfter[i], source && { ...source, offsets: source.offsets.slice(from, to) }, publishedBefore);
      for (const c of claimsOf(outcome.findings, (f) => this.claims.get(f))) publishedBefore.set(c.id, higherClaim(publishedBefore.get(c.id), c.severity)!);
      outcomes.push(outcome);
    }
    return mergeOutcomes(outcomes);
  }

  /** The stages, in order, over one batch (or slice). */
  private async processBatch(input: readonly EnrichedEvent[], holdAt: number | undefined, source: BatchSource | undefined, publishedBefore: ReadonlyMap<string, string> | undefined): Promise<BatchOutcome> {
    const parts = this.parts;
    const batch = this.open(input, holdAt, source, publishedBefore);
    await prepare(parts, batch);
    const run = parts.checkpointer.beforeCount(batch.distinct);
    this.markReplays(batch);
    const counted = count(parts, batch);
    const planned = planState(parts, batch, counted, run);
    const results = await applyState(parts, batch, planned);
    const ctx = buildContext(parts, batch, counted, planned, results);
    const settled = settleEpisodes(detect(parts.detectors, parts.config, ctx), batch, this.episodes, this.verdictOf);
    await parts.checkpointer.afterSettle(settled.changed, parts.store, batch.now);
    const byId = identify(settled.drafts, batch.now);
    const published = await unpublished(parts.store, byId, batch.publishedBefore);
    for (const p of published) this.claims.set(p.finding, p.claim);
    const findings = published.map((p) => p.finding);
    return { findings, duplicates: byId.size - findings.length, events: batch.events.length, apiRates: apiRates(ctx), apiMinutes: apiMinutes(ctx), capped: { routes: batch.refusedRoutes, checkpoints: results.dropped } };
  }

  /** The batch's record: its events by time, the clock moved to them, and their acting subjects. */
  private open(input: readonly EnrichedEvent[], holdAt: number | undefined, source: BatchSource | undefined, publishedBefore: ReadonlyMap<string, string> | undefined): BatchRecord {
    const events = input.slice().sort((a, b) => a.timestamp - b.timestamp);
    const latest = events[events.length - 1]!.timestamp;
    const clock = this.parts.clock;
    clock.advance(latest, holdAt);
    const { perEvent, distinct } = this.identities.actorsOf(events);
    return {
      events,
      inOrder: input,
      latest,
      now: clock.watermark,
      windowsAt: clock.windowsAt,
      source,
      publishedBefore,
      actors: perEvent,
      distinct,
      shards: new ShardPlan(),
      refusedRoutes: 0,
      sharedFences: new Map(),
      replayedShared: undefined,
      offsetOf: undefined,
    };
  }

  /** Replays: the apis whose shared counters, and the subjects whose state, hold some of the batch's events already (engine/replay.ts). */
  private markReplays(batch: BatchRecord): void {
    const source = batch.source;
    if (!source) return;
    batch.replayedShared = replayedShared(source, batch.sharedFences);
    batch.offsetOf = replayedOffsets(batch.inOrder, source, batch.distinct, batch.replayedShared !== undefined);
  }
}

/** Every closed api minute against its expectation. */
function apiMinutes(ctx: DetectContext): ApiMinuteOutcome[] {
  return ctx.apis.flatMap((a) => a.closedMinutes.map((m) => ({ api: a.api, direction: a.direction, minute: m.minute, observed: m.n, expected: m.expectedPerMinute, spread: m.spreadPerMinute })));
}

/** Per api whose minutes closed, the last closed minute against its expectation (what dashboards plot). */
function apiRates(ctx: DetectContext): ApiRate[] {
  const rates: ApiRate[] = [];
  for (const a of ctx.apis) {
    const last = a.closedMinutes[a.closedMinutes.length - 1];
    if (last) rates.push({ api: a.api, direction: a.direction, minute: last.minute, observedPerMinute: last.n, expectedPerMinute: a.expectedPerMinute });
  }
  return rates;
}
