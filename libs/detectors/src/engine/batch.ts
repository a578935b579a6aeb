import type { Direction, Finding, Subject } from '@vigil/contracts';
import type { RouteKey } from '../storage/keys.js';
import type { RouteCounts } from '../storage/route-counters.js';
import type { SubjectState } from '../subject-state.js';
import type { ObjectTrail } from '../subject/trail.js';
import type { ApiWindow, EnrichedEvent, SubjectRouteWindow, SubjectWindow } from '../types.js';
import type { Handle, ShardPlan } from './shard-plan.js';
import type { EndpointBatch, EndpointsOfBatch } from '../inventory/count.js';
import type { BatchMembers, MemberMarks } from '../storage/written-members.js';

/**
 * The records a batch carries from stage to stage (engine.ts runs them in
 * order): what it is, what each stage found, and what it returns.
 */

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
  /** Every api minute that closed in this batch, with its expectation and spread (what a report draws). */
  apiMinutes?: ApiMinuteOutcome[];
}

export interface ApiMinuteOutcome {
  api: string;
  direction: ApiWindow['direction'];
  /** Start of the minute (event time). */
  minute: number;
  observed: number;
  /** Undefined while the baseline warms up. */
  expected: number | undefined;
  spread: number | undefined;
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

/** The kinds of subject that act (make calls); routes and apis are subjects of findings only. */
export type ActorKind = 'ip' | 'principal' | 'client';

/** An acting subject on one api as the engine names it: built once and kept across batches, not per batch. */
export interface Identity {
  api: string;
  subject: Subject;
  /** Its name in keys and checkpoints (`kind:value`). */
  key: string;
  /** Its state's id (`api\u0000kind:value`). */
  id: string;
  /** The batch that last listed it, and its actor there (read only while that batch lists its actors). */
  listedIn: number;
  actor: Actor | undefined;
  /** The members its calls added lately to the endpoints' sets of distinct callers, and to the login windows' sets (storage/written-members.ts), from its first call. */
  endpointMarks: MemberMarks | undefined;
  loginMarks: MemberMarks | undefined;
}

/** A batch's acting subject on one api: its identity, its state, and what the batch showed of it. */
export interface Actor {
  identity: Identity;
  /** Set by the prepare stage: held in memory, revived, or read back from its checkpoint. */
  state: SubjectState | undefined;
  /** The offset its state has counted the batch's partition up to, when that reaches into the batch: its events up to it are not counted again. */
  fence: number | undefined;
  /** The positions (in `events`, by time) of its events in the batch. */
  events: number[];
  /** How many of `events` the count stage has counted so far: its windows' evidence is drawn from those (stages/actor-sample.ts). */
  counted: number;
  /** The routes with object ids it called in the batch, with their trails (judged once more at the batch's end): a few, listed once the first is called. */
  trails: TouchedTrail[] | undefined;
}

/** A trail an actor's calls in the batch touched, and its route. */
export interface TouchedTrail {
  trail: ObjectTrail;
  route: RouteBatch;
}

/** One batch (or one slice of a batch) on its way through the stages. */
export interface BatchRecord {
  /** The events by event time (the caller's array is not reordered). */
  readonly events: EnrichedEvent[];
  /** The events in the order of `source.offsets`. */
  readonly inOrder: readonly EnrichedEvent[];
  /** The batch's latest event time: route windows are judged up to it. */
  readonly latest: number;
  /** The engine's watermark after this batch: entries live relative to it, findings are detected at it. */
  readonly now: number;
  /** The window clock: api minutes close at it (the watermark, held back by other partitions' pending events). */
  readonly windowsAt: number;
  readonly source: BatchSource | undefined;
  /** Per finding id, the severity the earlier slices of the batch found (published with the batch). */
  readonly publishedBefore: ReadonlyMap<string, string> | undefined;
  /** Each event's actor (by `events`' order), and the distinct ones. */
  readonly actors: readonly (Actor | undefined)[];
  readonly distinct: readonly Actor[];
  /** The state operations the stages add to, applied in one round trip. */
  readonly shards: ShardPlan;
  /** Set by prepare: events moved to `{other}`, and per api the offset its shared counters hold this partition up to. */
  refusedRoutes: number;
  sharedFences: Map<string, number>;
  /** Set when some events are replays: per api whose counters hold some already, its fence; and each event's offset. */
  replayedShared: Map<string, number> | undefined;
  offsetOf: Map<EnrichedEvent, number> | undefined;
}

/** One route of one batch: its minutes' counts and what its events carried. */
export interface RouteBatch {
  api: string;
  direction: Direction;
  route: string;
  routeKey: RouteKey;
  minutes: Map<number, RouteCounts>;
  /** Lowest rate-limit remaining share per minute, in 1/10000. */
  lowestRemaining: Map<number, number>;
  /** Login windows by their start (login routes only): two grids of 5-minute windows, the second shifted by half a window. */
  logins: Map<number, LoginBatch>;
  signatures: Set<string>;
  /** Large responses of the batch by size class (route-counters.ts largeSizeClass). */
  largeSizes: Map<number, number>;
  eventIds: string[];
  newSignatures: { signature: string; handle: Handle; eventId: string; timestamp: number }[];
  /** The route's endpoints in the batch, by the method as events sent it (the inventory's lookup without building a key). */
  endpoints: Map<string, EndpointBatch>;
}

/** A login route's calls in one 5-minute window of the batch. */
export interface LoginBatch {
  api: string;
  route: string;
  routeKey: RouteKey;
  /** The window's start: a multiple of 2.5 minutes (5-minute windows on two grids, half a window apart). */
  windowStart: number;
  n: number;
  failures: number;
  /** Its distinct IPs and principals: those not written to the window's sets this hour (storage/written-members.ts), under these keys. */
  ips: BatchMembers;
  principals: BatchMembers;
  ipsKey: string;
  principalsKey: string;
  eventIds: string[];
}

/** What the count stage found: every route and login window the batch touched, and the subjects' windows it judged. */
export interface CountedBatch {
  routes: Map<string, RouteBatch>;
  /** The apis the batch touched, in the order it met them (their shared counters get this partition's fence). */
  apis: string[];
  /** The subjects' windows judged as their calls were counted (engine/hops.ts). */
  subjects: SubjectWindow[];
  subjectRoutes: SubjectRouteWindow[];
  logins: LoginBatch[];
  /** The endpoints the batch called (the inventory's counts). */
  endpoints: EndpointsOfBatch;
}
