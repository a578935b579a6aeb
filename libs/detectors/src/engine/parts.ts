import type { Direction } from '@vigil/contracts';
import type { InventoryMemory } from '../inventory/memory.js';
import type { WrittenMembers } from '../storage/written-members.js';
import type { StateStore } from '@vigil/state';
import type { DetectorsConfig } from '../config.js';
import { BoundedMap } from '../lru.js';
import type { SubjectState } from '../subject-state.js';
import { emptyThreats, type ThreatMatcher } from '../threats.js';
import type { AnyDetector, ApiWindow, RouteWindow } from '../types.js';
import type { Checkpointer } from './checkpointer.js';
import type { RoutePeers } from './peers.js';
import type { ApiHistories } from './api-histories.js';

/** An api's expectation for one hour (engine/api-minutes.ts), as the volume detector judges its minutes against it. */
export interface ApiBaseline {
  /** Events expected in the hour; undefined while warming up. */
  expectedHour: number | undefined;
  /** What a drop is judged against: only a recent baseline has one (the lower of the median and the latest hour). */
  dropExpectedHour?: number;
  /** How much the hour varies from day to day, in log terms. */
  sigmaLog: number;
  /** The share of the hour each minute of the hour carries (sums to 1); undefined without history. */
  profile: number[] | undefined;
  kind: ApiWindow['baselineKind'];
}

/**
 * What the engine keeps from batch to batch, which the stages read and
 * update: its config and store, its bounded caches, the checkpointer, the
 * known threats, and the clock api minutes close at.
 */
export interface EngineParts {
  readonly config: DetectorsConfig;
  readonly store: StateStore;
  readonly detectors: readonly AnyDetector[];
  readonly subjects: SubjectCache;
  readonly checkpointer: Checkpointer;
  readonly threats: KnownThreats;
  readonly clock: WindowClock;
  /** Route baselines by `api\u0000routeKey`, with the hour they were read for. */
  readonly routeBaselines: BoundedMap<string, { hour: number; stats: RouteWindow['baseline'] }>;
  /** Api expectations by `api\u0000direction\u0000hour`. */
  readonly apiBaselines: BoundedMap<string, ApiBaseline>;
  /** The apis (with direction) seen, by `api\u0000direction code`. */
  readonly knownApis: BoundedMap<string, { api: string; direction: Direction }>;
  /** Routes admitted (by `api\u0000routeKey`), with the day they were admitted for. */
  readonly admittedRoutes: BoundedMap<string, number>;
  /** How many distinct ids the subjects of each route address in an hour (engine/peers.ts). */
  readonly peers: RoutePeers;
  /** Each api's closed minutes of the last hours (engine/api-minutes.ts). */
  readonly apiHistories: ApiHistories;
  /** The inventory's process-local memory and the declared specs. */
  readonly inventory: InventoryMemory;
  /** The IPs and principals written to the login windows' sets this hour (storage/written-members.ts). */
  readonly loginMembers: WrittenMembers;
}

/**
 * Per-subject state held for the partitions this process consumes, bounded:
 * a changed subject the bound pushes out is handed to the checkpointer, and
 * held again as it is if it comes back before its checkpoint is written.
 */
export class SubjectCache {
  private readonly map: BoundedMap<string, SubjectState>;

  constructor(
    limit: number,
    private readonly checkpointer: Checkpointer,
  ) {
    this.map = new BoundedMap(limit, (id) => checkpointer.evicted(id));
  }

  /** The subject's state when this process holds it (a changed one pushed out is held again). */
  held(id: string): SubjectState | undefined {
    const state = this.map.get(id);
    if (state) return state;
    const unwritten = this.checkpointer.unwritten(id);
    if (unwritten) this.map.set(id, unwritten);
    return unwritten;
  }

  hold(id: string, state: SubjectState): void {
    this.map.set(id, state);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  clear(): void {
    this.map.clear();
  }

  /** The states held (benchmarks: what a subject costs). */
  states(): IterableIterator<SubjectState> {
    return this.map.values();
  }
}

/** The known-threats matcher, reloaded when the store's version of the threats changes. */
export class KnownThreats {
  matcher: ThreatMatcher = emptyThreats;
  private version: string | undefined;

  constructor(readonly load: (() => Promise<ThreatMatcher>) | undefined) {}

  async refresh(version: string | undefined): Promise<void> {
    if (!this.load || version === this.version) return;
    this.matcher = await this.load();
    this.version = version;
  }
}

/**
 * Event time as the engine knows it: the watermark (the latest event seen),
 * and the window clock api minutes close at (the watermark, held back while
 * other partitions have older events pending; it never goes back).
 */
export class WindowClock {
  watermark = 0;
  windowsAt = 0;
  /** The last api minute judged closed. */
  lastClosedMinute: number | undefined;

  advance(latest: number, holdAt: number | undefined): void {
    this.watermark = Math.max(this.watermark, latest);
    this.windowsAt = Math.max(this.windowsAt, holdAt === undefined ? this.watermark : Math.min(this.watermark, holdAt));
  }
}
