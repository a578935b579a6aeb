import { z } from 'zod';

/**
 * Detector thresholds. Every value has a documented default (docs/detectors.md);
 * users override any of them in the `detectors:` section of the config file.
 * Units are in the names.
 */

const ratio = z.number().min(0);
const positiveInt = z.number().int().min(1);

const severityOverride = z.enum(['info', 'low', 'medium', 'high', 'critical']).optional();

export const detectorsConfigSchema = z
  .object({
    /** Minutes in the recent window that route-level detectors compare with the baseline. */
    windowMinutes: positiveInt.max(60).default(5),
    /** How late an event may arrive (event time) before its minute counts as closed. */
    latenessMs: z.number().int().min(0).max(600_000).default(30_000),
    /** Baselines need this many hours with traffic before baseline detectors may fire. */
    warmupHours: positiveInt.max(168).default(2),
    /** Hours of history summed into a route baseline. */
    baselineHours: positiveInt.max(168).default(24),
    /**
     * Route templates an api may have in a day (event time). Further new
     * routes that day are counted together as the route `{other}`: a flood of
     * random paths cannot become a flood of Redis keys.
     */
    maxRoutesPerApi: positiveInt.max(100_000).default(2_000),
    /**
     * Subjects (clients) whose checkpoints an api keeps per hour. Beyond it, a
     * subject's state lives in memory only (a restart starts it again): a
     * flood of random IPs or principals cannot grow Redis without bound.
     */
    maxSubjectsPerApiHour: positiveInt.max(10_000_000).default(100_000),
    enabled: z
      .record(z.string(), z.boolean())
      .default({})
      .describe('detector name → false to switch it off'),

    bola_enumeration: z
      .object({
        windowMs: z.number().int().min(10_000).default(120_000),
        minDistinctIds: positiveInt.default(30),
        /** Successful reads of distinct ids that make it a confirmed breach (critical). */
        confirmedOkReads: positiveInt.default(20),
        /** Denied share (401/403/404) at or above which a small enumeration (under 2x minDistinctIds) is only medium. */
        probeDeniedShare: ratio.max(1).default(0.8),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    bot: z
      .object({
        minRequests: positiveInt.default(30),
        /** Coefficient of variation of inter-arrival gaps below which a client is metronome-regular. */
        maxGapCv: ratio.max(1).default(0.15),
        /** Think time: mean gap below which calls are machine-fast. */
        maxMeanGapMs: z.number().min(0).default(1_000),
        minDistinctRoutes: positiveInt.default(15),
        /** Without regular timing, an automation user agent must carry at least this share of the calls. */
        minAutomationShare: ratio.max(1).default(0.5),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    credential_stuffing: z
      .object({
        /** One IP: failures and distinct principals it tried in the window. */
        minFailuresPerIp: positiveInt.default(20),
        minPrincipalsPerIp: positiveInt.default(8),
        /** Many IPs against one login route. */
        minFailuresPerRoute: positiveInt.default(60),
        minDistinctIps: positiveInt.default(15),
        minDistinctPrincipals: positiveInt.default(20),
        /** Failure share must also exceed the baseline share by this much. */
        minFailureShareIncrease: ratio.max(1).default(0.3),
        /** The baseline share is capped here, so a campaign that has already polluted the baseline still fires. */
        maxBaselineFailureShare: ratio.max(1).default(0.6),
        /** Failures on one login route in the window that make a distributed campaign critical. */
        criticalFailuresPerRoute: positiveInt.default(600),
        loginRoutePattern: z.string().default('(^|/)(login|signin|sign-in|auth|authenticate|token|oauth/token|session|sessions)(/|$)'),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    burst: z
      .object({
        /** Current-minute rate over the subject's previous-hour per-minute rate. */
        minRatio: ratio.default(20),
        minRequestsPerMinute: positiveInt.default(60),
        /** Per-minute floor for a subject with no history: a new client is judged against this. */
        newSubjectBaselinePerMinute: ratio.default(3),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    volume_anomaly: z
      .object({
        spikeRatio: ratio.default(4),
        dropRatio: ratio.max(1).default(0.2),
        /** The expectation must be at least this many events per minute for a drop to mean anything. */
        minExpectedPerMinute: ratio.default(20),
        /** Robust z-score a spike must also exceed. */
        minZ: ratio.default(6),
        /**
         * Robust z-score a drop must also exceed. Lower than for spikes: a drop
         * cannot fall below zero, so its z-score is at most expected / spread
         * (about 4 for a busy api with a daily ramp), and the ratio test
         * (dropRatio) already carries most of the evidence.
         */
        dropMinZ: ratio.default(3),
        /** Days of history before the hour-of-day (seasonal) baseline is used. */
        seasonalDays: positiveInt.max(28).default(2),
        /** A spike must reach at least this many events per minute: a quiet api doubling from 2 to 10/min is noise. */
        minSpikePerMinute: ratio.default(30),
        /** A spike of at least this ratio to the expectation is high severity (with a seasonal baseline; low without one). */
        highSpikeRatio: ratio.default(10),
        /** A drop to at most this share of the expectation counts as "to about zero" (high severity). */
        nearZeroShare: ratio.max(1).default(0.05),
        /** Findings are aligned to spans of this many minutes: one finding per api and span while an anomaly lasts. */
        findingWindowMinutes: positiveInt.max(1440).default(15),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    error_rate: z
      .object({
        minRequests: positiveInt.default(30),
        /** 5xx share must exceed baseline share + this. */
        minShareIncrease: ratio.max(1).default(0.15),
        minZ: ratio.default(5),
        include4xx: z.boolean().default(false),
        /** Floor of the baseline share in the binomial z-score (a 0% baseline would make any error infinitely surprising). */
        minBaselineShare: ratio.max(1).default(0.01),
        /** An error share at or above this is high severity. */
        highShare: ratio.max(1).default(0.5),
        /** Findings are aligned to spans of this many minutes: one finding per route and span while the surge lasts. */
        findingWindowMinutes: positiveInt.max(1440).default(15),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    latency_degradation: z
      .object({
        quantile: z.number().gt(0).lt(1).default(0.95),
        minRatio: ratio.default(2),
        minRequests: positiveInt.default(30),
        /** The window's quantile must also exceed the baseline's by this many ms. */
        minIncreaseMs: z.number().min(0).default(50),
        /**
         * At least this many calls of the window must be as slow as its quantile: on a quiet route the p95 of
         * 30–40 calls is its second or third slowest call, and two chance outliers alone would move it.
         */
        minSlowRequests: positiveInt.default(5),
        /** A ratio to the baseline quantile at or above this is high severity. */
        highRatio: ratio.default(4),
        /** Findings are aligned to spans of this many minutes: one finding per route and span while the degradation lasts. */
        findingWindowMinutes: positiveInt.max(1440).default(30),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    response_size: z
      .object({
        /** Route: mean response bytes in the window over the baseline mean. */
        minRatio: ratio.default(4),
        minRequests: positiveInt.default(20),
        /** Principal: bytes in 5 minutes over its previous-hour rate. */
        principalMinRatio: ratio.default(20),
        principalMinBytes: positiveInt.default(20 * 1024 * 1024),
        /** Principal: a ratio to its previous-hour rate at or above this is high severity. */
        principalHighRatio: ratio.default(100),
        /** Findings are aligned to spans of this many minutes: one finding per subject and span while it lasts. */
        findingWindowMinutes: positiveInt.max(1440).default(15),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    schema_drift: z
      .object({
        /** A route needs this many events in its baseline before a new signature is news. */
        minBaselineRequests: positiveInt.default(200),
        maxKnownSignatures: positiveInt.default(64),
        /** A route that already has this many signatures varies in shape by nature: a new one is reported as low. */
        variedRouteSignatures: positiveInt.default(8),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    rate_limit_exhaustion: z
      .object({
        /** Remaining quota at or below this share of the limit. */
        maxRemainingShare: ratio.max(1).default(0.05),
        min429: positiveInt.default(3),
        /** Findings are grouped per provider route in aligned windows of this length (one finding per window). */
        windowMs: z.number().int().min(60_000).default(900_000),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    known_threat: z
      .object({
        windowMs: z.number().int().min(1000).default(600_000),
        severity: severityOverride,
      })
      .strict()
      .default({}),
    large_response: z
      .object({
        /** Bytes at or above which a single response is outsized, whatever the baseline. */
        absoluteBytes: positiveInt.default(50 * 1024 * 1024),
        /** Or this many times the route's baseline 99th percentile… */
        p99Ratio: ratio.default(20),
        /** …provided it is also at least this big. */
        minBytes: positiveInt.default(1024 * 1024),
        /** Sized responses the route's baseline needs before its 99th percentile is trusted. */
        minBaselineResponses: positiveInt.default(100),
        windowMs: z.number().int().min(1000).default(600_000),
        severity: severityOverride,
      })
      .strict()
      .default({}),
  })
  .strict();

export type DetectorsConfig = z.output<typeof detectorsConfigSchema>;

export const defaultDetectorsConfig: DetectorsConfig = Object.freeze(detectorsConfigSchema.parse({})) as DetectorsConfig;
