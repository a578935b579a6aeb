import type { z } from 'zod';
import type { ApiTransaction, DetectorName, Direction, Finding, Subject } from '@vigil/contracts';
import type { EngineConfig } from './engine-config.js';
import type { ThreatMatcher } from './threats.js';

/** An event after enrichment: route always present, the object id it addresses when the route has one. */
export interface EnrichedEvent extends ApiTransaction {
  route: string;
  objectId?: string;
  /** True when the route is a login / token route (for credential stuffing). */
  login: boolean;
  /** True when the user agent is an automation client (curl, python-requests, headless browsers…). */
  automationAgent: boolean;
}

/** Counts of one route over some span of minutes or hours. Histograms are arrays of bin counts (see stats.ts). */
export interface RouteStats {
  n: number;
  e4: number;
  e5: number;
  e429: number;
  /** 401 and 403 answers (authentication / authorisation failures). */
  af: number;
  latencySumMs: number;
  latencyBins: number[];
  bytesN: number;
  bytesSum: number;
  bytesBins: number[];
  /** Lowest rateLimitRemaining / rateLimitLimit seen, in 1/10000 (undefined when no event carried both). */
  minRateLimitPermyriad?: number;
  /** Number of events that carried both rate-limit headers. */
  rateLimitN: number;
}

export interface RouteWindow {
  api: string;
  direction: Direction;
  route: string;
  /** The recent window (config.windowMinutes minute buckets ending with the batch's last minute). */
  current: RouteStats;
  windowStart: number;
  windowEnd: number;
  /** Previous hours (not the current one), summed; `hours` says how many had traffic. */
  baseline: RouteStats & {
    hours: number;
    firstSeenAt: number | undefined;
    /** Each baseline hour's latency quantile (latency_degradation's, for hours with calls): their median is not moved by a few hours of drift. */
    hourLatencyQuantiles: readonly number[];
  };
  /** Response signatures first seen in this batch, with the id of the first event that carried each. */
  newSignatures: { signature: string; eventId: string; timestamp: number }[];
  /** Distinct signatures known for the route (capped), before this batch. */
  knownSignatures: number;
  /** Event ids of this batch on this route (a bounded sample). */
  sampleEventIds: string[];
  /** Large responses the route served before this batch, by size class (storage/route-counters.ts largeSizeClass): the sizes it usually serves. */
  largeSizesBefore: ReadonlyMap<number, number>;
}

/** What a declared OpenAPI spec says of an endpoint (inventory/spec.ts), for apis that have one. */
export interface DeclaredStatus {
  /** The current spec has the operation; whether it marks it deprecated, and whether it requires a credential. */
  inCurrent: boolean;
  deprecated: boolean;
  secured: boolean;
  /** An earlier version of the spec (`previous`) had it, and the current one does not. */
  dropped: boolean;
}

/** An endpoint (api, direction, method, route template) in an hour the batch called it, with what the inventory knows of it. */
export interface EndpointWindow {
  api: string;
  direction: Direction;
  method: string;
  route: string;
  /** The hour judged (one window per hour the batch called it in): endpoints are judged once per hour. */
  windowStart: number;
  windowEnd: number;
  /** Its calls in that hour as every replica counted them: all, answered below 400, and those without a principal answered below 400. */
  calls: number;
  servedCalls: number;
  anonymousServed: number;
  /** Distinct callers (principal, else address) it served in the hour, counted up to 8. */
  servedCallers: number;
  /** A few event ids of the batch's calls to it, and of its anonymous ones (evidence). */
  sampleEventIds: string[];
  anonymousEventIds: string[];
  /** When the inventory first saw the endpoint, and the api (undefined while the store has none). */
  firstSeen: number | undefined;
  apiFirstSeen: number | undefined;
  /** Its calls on the previous days kept (not today), and how many carried a principal: what "normally authenticated" is judged from. */
  history: { calls: number; authenticated: number } | undefined;
  /** Undefined when no spec is declared for the api. */
  declared: DeclaredStatus | undefined;
}

export interface ApiMinute {
  minute: number; // epoch ms at the minute's start
  n: number;
  /** The expectation of the minute's own hour (seasonal, else recent hours); undefined while warming up. */
  expectedPerMinute: number | undefined;
  /**
   * With a recent baseline, what a drop is judged against: the lower of the expectation and the latest hour's rate
   * (on a ramp down, the evening, the median of the last three hours overstates the next one); otherwise the
   * expectation itself.
   */
  dropExpectedPerMinute?: number;
  /** The minute's spread in events (chance and the hour's day-to-day variation). */
  spreadPerMinute: number | undefined;
  /** How much the minute's hour varies from day to day, in log terms. */
  sigmaLog?: number;
  /** The minute's share of its hour's traffic, times 60 (1: an even hour; 20: a job at :00). */
  minuteShare?: number;
  baselineKind: 'seasonal' | 'recent' | 'warming_up';
}

export interface ApiWindow {
  api: string;
  direction: Direction;
  /** Minutes that closed (the window clock passed their end plus the lateness allowance) during this batch, each with its hour's expectation. */
  closedMinutes: ApiMinute[];
  /** The api's closed minutes of the last hours, oldest first, ending with this batch's (what windows of several minutes sum). */
  history: readonly ApiMinute[];
  /** The expectation of the last closed minute's hour: seasonal when enough days exist, else recent hours; undefined while warming up. */
  expectedPerMinute: number | undefined;
  /** Robust spread of the per-minute rate around the expectation. */
  spreadPerMinute: number | undefined;
  baselineKind: 'seasonal' | 'recent' | 'warming_up';
}

/** How far back a subject window looks: `short` 5 minutes (a 30-second step), `long` an hour (a 5-minute step). */
export type SubjectHorizon = 'short' | 'long';
/** How far back a subject's window on one route looks: `fast` the enumeration window (2 minutes, a 10-second step), `slow` 30 minutes (a 1-minute step). */
export type TrailHorizon = 'fast' | 'slow';

/** Traits of an episode its subject's history compares (subject/usual.ts): where it came from, how much was denied, how much of what it read was new to it. */
export interface UsualTraits {
  ips: readonly string[];
  deniedShare?: number;
  newShare?: number;
}

/** The part of a window in which something happened (slot-aligned). */
export interface ActiveSpan {
  from: number;
  to: number;
}

/**
 * One subject's calls in a window that ends wherever its calls went on
 * (engine/hops.ts): windows slide with the subject's calls, so an attack is
 * judged whole whatever the clock says.
 */
export interface SubjectWindow {
  api: string;
  subject: Subject;
  horizon: SubjectHorizon;
  windowStart: number;
  windowEnd: number;
  /** False for a window judged before all its calls were counted (the end of a batch): it is judged again, whole, later. */
  final: boolean;
  /** From its first call to its last (slot-aligned). */
  active: ActiveSpan;
  /** Calls in each 10-second slot of a short window, oldest first (empty for a long window). */
  slotCalls: readonly number[];
  /** Per-minute rate of the subject over the previous clock hour and this hour before the window; undefined when it was not seen then. */
  baselinePerMinute: number | undefined;
  n: number;
  e4: number;
  authFailures: number;
  /** Inter-arrival gaps between consecutive calls (ms). */
  gaps: { n: number; meanMs: number; cv: number | undefined };
  automationAgentN: number;
  distinctRoutes: number;
  /** Distinct principals this subject tried on login routes in the window (credential stuffing from one IP). */
  loginPrincipals: number;
  bytesSum: number;
  /** Its largest single response (bytes): one outsized response is large_response's to judge. */
  largestBytes: number;
  /** Bytes per 5 minutes over the same span as baselinePerMinute; undefined when not seen then. */
  baselineBytesPer5m: number | undefined;
  userAgents: string[];
  sampleEventIds: string[];
  samplePaths: string[];
  /** The addresses the subject called from lately (a principal's), most recent last. */
  ips: readonly string[];
}

export interface SubjectRouteWindow {
  api: string;
  subject: Subject;
  route: string;
  direction: Direction;
  horizon: TrailHorizon;
  windowStart: number;
  windowEnd: number;
  /** False for a window judged before all its calls were counted (see SubjectWindow). */
  final: boolean;
  /** From its first call on the route to its last (slot-aligned). */
  active: ActiveSpan;
  distinctIds: number;
  /** Reads of ids the subject had read before (5 minutes or more earlier, within a day): its own objects, read again. */
  familiarIds: number;
  n: number;
  ok: number;
  denied: number;
  /** The window's object ids in the order of their last sighting (at most 200). */
  ids: readonly string[];
  /** Distinct ids the subject addressed on the route in each of its past active hours, oldest first (its own business-as-usual). */
  ownHours: readonly number[];
  /** Distinct ids per hour of the route's other subjects seen by this process (its peers), when enough of them are known. */
  peers: { subjectHours: number; top: number } | undefined;
  sampleEventIds: string[];
  ips: readonly string[];
}

export interface LoginWindow {
  api: string;
  route: string;
  windowStart: number;
  windowEnd: number;
  n: number;
  failures: number;
  distinctIps: number;
  distinctPrincipals: number;
  /** Failure share on this route over previous hours; undefined while warming up. */
  baselineFailureShare: number | undefined;
  baselineN: number;
  sampleEventIds: string[];
}

/** Everything a detector may look at. Pure data: no I/O, no clock but `now` (event time). */
export interface DetectContext {
  /** The engine's watermark: the latest event time it has seen. */
  now: number;
  /** The engine's own settings (warm-up, windows); a detector's thresholds come to it as its config. */
  config: EngineConfig;
  events: readonly EnrichedEvent[];
  routes: readonly RouteWindow[];
  apis: readonly ApiWindow[];
  subjects: readonly SubjectWindow[];
  subjectRoutes: readonly SubjectRouteWindow[];
  logins: readonly LoginWindow[];
  /** The endpoints the batch called (the inventory's view). */
  endpoints: readonly EndpointWindow[];
  threats: ThreatMatcher;
}

/**
 * What a detector returns: a Finding without the id and detectedAt, which the engine adds, and two things for the
 * engine alone (not published): what the finding measures, and whether to judge it against its subject's
 * business-as-usual.
 */
export type FindingDraft = Omit<Finding, 'id' | 'detectedAt'> & {
  /** What the finding counts (distinct ids, calls, failures): a published finding is revised when this grows by a quarter. */
  magnitude?: number;
  /**
   * The draft's window slides (a subject's, an api's minutes): overlapping ones are one episode, one finding
   * (engine/stages/episodes.ts). The span of the window that was active: where the episode starts, how far it reaches.
   */
  episode?: ActiveSpan;
  /** Which way it departs, when a detector finds opposite things about one subject (a spike, a drop): separate episodes and histories. */
  aspect?: string;
  /** The length of the window the detector judged, kept when the episode stage widens windowStart/windowEnd to the episode's. */
  judgedMs?: number;
  /** Judge the episode against the subject's own history (engine/stages/episodes.ts), with these traits of it. */
  usual?: UsualTraits;
};

/**
 * A detector, whole: its name (DESIGN.md's vocabulary), its section of the
 * `detectors:` config with defaults, what it derives from the shared context
 * for itself (`view`, once a batch), and `detect`. Pure: the context, its
 * config and its view in, findings out. Adding a detector is a folder under
 * detectors/ with one of these, and its name in detectors/index.ts.
 */
export interface Detector<Name extends DetectorName = DetectorName, Schema extends z.ZodTypeAny = z.ZodTypeAny, View = undefined> {
  readonly name: Name;
  readonly configSchema: Schema;
  view?(ctx: DetectContext, config: z.output<Schema>): View;
  detect(ctx: DetectContext, config: z.output<Schema>, view: View): FindingDraft[];
}

/** A detector of any name, config and view (lists of them). */
export type AnyDetector = Detector<DetectorName, z.ZodTypeAny, any>;

/** Declares a detector, keeping its name, config and view types. */
export function defineDetector<Name extends DetectorName, Schema extends z.ZodTypeAny, View = undefined>(detector: Detector<Name, Schema, View>): Detector<Name, Schema, View> {
  return Object.freeze(detector);
}

export type { Finding };
