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
  baseline: RouteStats & { hours: number; firstSeenAt: number | undefined };
  /** Response signatures first seen in this batch, with the id of the first event that carried each. */
  newSignatures: { signature: string; eventId: string; timestamp: number }[];
  /** Distinct signatures known for the route (capped), before this batch. */
  knownSignatures: number;
  /** Event ids of this batch on this route (a bounded sample). */
  sampleEventIds: string[];
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
  spreadPerMinute: number | undefined;
  baselineKind: 'seasonal' | 'recent' | 'warming_up';
}

export interface ApiWindow {
  api: string;
  direction: Direction;
  /** Minutes that closed (the window clock passed their end plus the lateness allowance) during this batch, each with its hour's expectation. */
  closedMinutes: ApiMinute[];
  /** The expectation of the last closed minute's hour: seasonal when enough days exist, else recent hours; undefined while warming up. */
  expectedPerMinute: number | undefined;
  /** Robust spread of the per-minute rate around the expectation. */
  spreadPerMinute: number | undefined;
  baselineKind: 'seasonal' | 'recent' | 'warming_up';
}

export interface SubjectWindow {
  api: string;
  subject: Subject;
  /** The subject's calls in each minute of the window so far, oldest first (five). */
  minuteCounts: readonly number[];
  /** Per-minute rate of the subject over the previous clock hour and this hour before the window; undefined when it was not seen then. */
  baselinePerMinute: number | undefined;
  /** The 5-minute window (aligned): one view per subject and window the batch touched. */
  windowStart: number;
  windowEnd: number;
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
  /** Bytes per 5 minutes over the same span as baselinePerMinute; undefined when not seen then. */
  baselineBytesPer5m: number | undefined;
  userAgents: string[];
  sampleEventIds: string[];
  samplePaths: string[];
}

export interface SubjectRouteWindow {
  api: string;
  subject: Subject;
  route: string;
  direction: Direction;
  windowStart: number;
  windowEnd: number;
  distinctIds: number;
  n: number;
  ok: number;
  denied: number;
  /** The object ids this batch addressed on the route, in the batch's order (at most 200). */
  batchIds: readonly string[];
  sampleEventIds: string[];
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
  threats: ThreatMatcher;
}

/** What a detector returns: a Finding without the id and detectedAt, which the engine adds. */
export type FindingDraft = Omit<Finding, 'id' | 'detectedAt'>;

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
