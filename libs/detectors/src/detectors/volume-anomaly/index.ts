import { z } from 'zod';
import { round } from '../../stats.js';
import { MINUTE } from '../../units.js';
import { defineDetector, type ApiMinute, type ApiWindow, type DetectContext, type FindingDraft } from '../../types.js';
import { OWASP, clip, confidenceFrom, positiveInt, ratio, retired, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.volume_anomaly` config section. */
export const volumeAnomalyConfig = z
  .object({
    /** How unusual a rise must be: its score (how many spreads the count is from its expectation, chance included). */
    minZ: ratio.default(5),
    /** How unusual a fall must be (a count cannot fall below zero: its scores run lower than a rise's). */
    dropMinZ: ratio.default(5),
    /** A rise of this score or more is high (with a seasonal baseline; low without one). */
    highZ: ratio.default(10),
    /** Days of the same kind (weekdays with weekdays, weekends with weekends) with the hour before the seasonal baseline is used. */
    seasonalDays: positiveInt.max(14).default(2),
    /** A fall to at most this share of the expected count, over 5 minutes or more, counts as "to about zero" (high severity). */
    nearZeroShare: ratio.max(1).default(0.05),
    /** The windows judged, in minutes: each closing minute ends one of each (a quiet api's outage shows over an hour, a burst in a minute). */
    windowsMinutes: z.array(positiveInt.max(240)).min(1).readonly().default([1, 5, 15, 60]),
    severity: severityOverride,
    spikeRatio: retired('a spike is judged by its score against the api\'s own spread (minZ)'),
    dropRatio: retired('a drop is judged by its score against the api\'s own spread (dropMinZ)'),
    minSpikePerMinute: retired('no minimum count: chance is in the score'),
    minExpectedPerMinute: retired('no minimum count: chance is in the score'),
    highSpikeRatio: retired('a spike is high from the score highZ'),
    findingWindowMinutes: retired('an anomaly is one finding per episode, extended while it lasts'),
  })
  .strict()
  .default({});

type VolumeConfig = z.output<typeof volumeAnomalyConfig>;

/** A window of the api's closed minutes ending at one of them, against its expectation. */
export interface VolumeScore {
  kind: 'spike' | 'drop';
  /** The minute the window ends with (its start), and the window's length in minutes. */
  minute: number;
  minutes: number;
  observed: number;
  expected: number;
  /** How unusual: the log ratio of observed to expected over its spread (positive for a rise). */
  z: number;
  baselineKind: ApiMinute['baselineKind'];
}

/**
 * The scores of the windows ending at `index` of the history, for each length: how many spreads the observed
 * count O lies from its expectation E on a scale where chance is even (2√(x + 3/8), Anscombe's: a count of 0
 * against 7 is not the rarity a log ratio would make it), the spread being the larger of what the api's windows of
 * that length showed lately (D, at least chance) and chance plus the hour's day-to-day variation (σ²E). The
 * strongest rise and the strongest fall among the lengths (none while a minute of the window has no expectation).
 */
export function scoresAt(history: readonly ApiMinute[], index: number, windows: readonly number[], dispersion: (k: number) => number): VolumeScore[] {
  let rise: VolumeScore | undefined;
  let fall: VolumeScore | undefined;
  for (const k of windows) {
    const w = windowOf(history, index, k);
    if (!w) continue;
    const d = dispersion(k);
    const up = score(w.observed, w.expected, w.sigma, d);
    const down = score(w.observed, w.dropExpected, w.sigma, d);
    const at = { minute: history[index]!.minute, minutes: k, observed: w.observed, baselineKind: w.kind };
    if (up > 0 && (!rise || up > rise.z)) rise = { kind: 'spike', ...at, expected: w.expected, z: up };
    if (down < 0 && (!fall || down < fall.z)) fall = { kind: 'drop', ...at, expected: w.dropExpected, z: down };
  }
  return [rise, fall].filter((s): s is VolumeScore => s !== undefined);
}

/** The sums over the k minutes ending at `index`: undefined when there are fewer, or one has no expectation yet. */
function windowOf(history: readonly ApiMinute[], index: number, k: number): { observed: number; expected: number; dropExpected: number; sigma: number; kind: ApiMinute['baselineKind'] } | undefined {
  if (index + 1 < k) return undefined;
  let observed = 0;
  let expected = 0;
  let dropExpected = 0;
  let sigma = 0;
  let kind: ApiMinute['baselineKind'] = 'seasonal';
  for (let i = index - k + 1; i <= index; i++) {
    const m = history[i]!;
    if (m.expectedPerMinute === undefined || m.baselineKind === 'warming_up') return undefined;
    observed += m.n;
    expected += m.expectedPerMinute;
    dropExpected += m.dropExpectedPerMinute ?? m.expectedPerMinute;
    sigma = Math.max(sigma, m.sigmaLog ?? 0);
    if (m.baselineKind === 'recent') kind = 'recent';
  }
  return { observed, expected, dropExpected, sigma, kind };
}

/** Anscombe's transform: a Poisson count's square root, its variance about 1 whatever its mean. */
const stable = (x: number) => 2 * Math.sqrt(x + 3 / 8);

function score(observed: number, expected: number, sigmaLog: number, dispersion: number): number {
  return (stable(observed) - stable(expected)) / Math.sqrt(Math.max(dispersion, 1 + sigmaLog * sigmaLog * expected));
}

/** The median of a chi-square with one degree of freedom: a squared standard normal, in the middle. */
const CHI2_1_MEDIAN = 0.455;

/**
 * How much the api's windows of k minutes vary against their expectations, on the even scale (1 for a Poisson
 * count): the median of the squared differences over its recent windows of that length, scaled so that chance
 * alone gives 1. Calls that come in sessions or all at :00, and a busy api's swings, give more. A median: a spike
 * or an outage among them does not make the next one look ordinary. 1 under 30 windows.
 */
export function dispersionOf(history: readonly ApiMinute[], k: number): number {
  // Judged once per api, window length and closing minute over hours of history: a typed array sorts numbers fastest.
  const squares = new Float64Array(history.length);
  let count = 0;
  let observed = 0;
  let expected = 0;
  let judged = 0;
  for (let i = 0; i < history.length; i++) {
    const m = history[i]!;
    judged = m.expectedPerMinute !== undefined && m.baselineKind !== 'warming_up' ? judged + 1 : 0;
    observed += m.n;
    expected += m.expectedPerMinute ?? 0;
    if (i >= k) {
      observed -= history[i - k]!.n;
      expected -= history[i - k]!.expectedPerMinute ?? 0;
    }
    if (judged >= k) squares[count++] = (stable(observed) - stable(Math.max(0, expected))) ** 2;
  }
  return count < 30 ? 1 : Math.max(1, medianOfSorted(squares.subarray(0, count).sort()) / CHI2_1_MEDIAN);
}

function medianOfSorted(s: Float64Array): number {
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const perMinute = (x: number) => (x >= 10 ? String(Math.round(x)) : String(round(x, 1)));
const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);

/**
 * Traffic of an api (inbound) or provider (outbound) far above or below its
 * expectation. Each closing minute ends windows of 1, 5, 15 and 60 minutes;
 * each is scored against the expectation of its minutes (engine/api-minutes.ts:
 * the same hour on days of the same kind, the minute's share of its hour,
 * the hour's own spread), so a busy api's ordinary swings and a quiet api's
 * real outage are judged alike, with no fixed multiple or minimum count. One
 * finding per episode (extended while it lasts, revised as its score grows),
 * its score in the evidence; an episode that recurs at the same phase is
 * usual from its second time on (low).
 */
export const volumeAnomaly = defineDetector({
  name: 'volume_anomaly',
  configSchema: volumeAnomalyConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const a of ctx.apis) {
      for (const s of worstOfEachKind(a, cfg)) out.push(draft(ctx, cfg, a, s));
    }
    return out;
  },
});

/** The strongest spike and the strongest drop among the windows ending at the batch's closed minutes (a spike never hides a drop). */
export function worstOfEachKind(a: ApiWindow, cfg: VolumeConfig): VolumeScore[] {
  const before = a.history.slice(0, a.history.length - a.closedMinutes.length);
  const byLength = new Map<number, number>();
  const dispersion = (k: number) => byLength.get(k) ?? byLength.set(k, dispersionOf(before, k)).get(k)!;
  const worst = new Map<VolumeScore['kind'], VolumeScore>();
  for (let i = a.history.length - a.closedMinutes.length; i < a.history.length; i++) {
    for (const s of scoresAt(a.history, i, cfg.windowsMinutes, dispersion)) {
      if (!(s.kind === 'spike' ? s.z >= cfg.minZ : -s.z >= cfg.dropMinZ)) continue;
      const held = worst.get(s.kind);
      if (!held || Math.abs(s.z) > Math.abs(held.z)) worst.set(s.kind, s);
    }
  }
  return [...worst.values()];
}

/** A spike's events: the batch's in its window, else (its minutes closed after their events' batch) the api's latest in the batch. */
function spikeEvents(ctx: DetectContext, a: ApiWindow, from: number, to: number): string[] {
  const api = ctx.events.filter((e) => e.api === a.api && e.direction === a.direction);
  const inWindow = api.filter((e) => e.timestamp >= from && e.timestamp < to);
  return (inWindow.length > 0 ? inWindow : api.slice(-10)).map((e) => e.id);
}

function draft(ctx: DetectContext, cfg: VolumeConfig, a: ApiWindow, s: VolumeScore): FindingDraft {
  const outbound = a.direction === 'outbound';
  const what = outbound ? `Calls to provider ${a.api}` : `Traffic to ${a.api}`;
  const start = s.minute - (s.minutes - 1) * MINUTE;
  const span = s.minutes === 1 ? `the minute starting ${hhmm(start)} UTC` : `the ${s.minutes} minutes from ${hhmm(start)} UTC`;
  const baselineWords = s.baselineKind === 'seasonal' ? 'the same hours on previous days of the same kind' : 'the previous hours (no seasonal history yet)';
  const nearZero = s.kind === 'drop' && s.minutes >= 5 && s.observed <= cfg.nearZeroShare * s.expected;
  const severity: FindingDraft['severity'] = s.kind === 'drop' ? (nearZero ? 'high' : 'medium') : s.baselineKind !== 'seasonal' ? 'low' : s.z >= cfg.highZ ? 'high' : 'medium';
  const ratio = s.observed / Math.max(s.expected, 1e-9);
  const title =
    s.kind === 'drop'
      ? `${what} dropped to ${s.observed} events in ${s.minutes} min at ${hhmm(start)} UTC (expected ${perMinute(s.expected)})`
      : `${what} spiked to ${s.observed} events in ${s.minutes} min at ${hhmm(start)} UTC, ${round(ratio, 1)}x the expected ${perMinute(s.expected)}`;
  const description =
    `${what} had ${s.observed} events in ${span}, against ${perMinute(s.expected)} expected from ${baselineWords} (score ${round(Math.abs(s.z), 1)}: how many spreads away, chance and the api's own variation included). ` +
    (s.kind === 'drop'
      ? outbound
        ? 'Check whether calls to the provider are failing before they are sent (circuit breaker, DNS, credentials) or the feature that calls it stopped.'
        : 'Check upstream: gateway or load-balancer health, DNS, a client release or an outage that stopped callers from reaching the api.'
      : outbound
        ? 'Check for a retry loop or a runaway job calling the provider: it costs quota and money.'
        : 'Check which clients drive the rise (burst and bot findings for the same window), and whether it is a launch or campaign or an abuse of resources.');
  const inWindow = s.kind === 'spike' ? spikeEvents(ctx, a, start, s.minute + MINUTE) : [];
  const threshold = s.kind === 'drop' ? cfg.dropMinZ : cfg.minZ;
  return {
    detector: 'volume_anomaly',
    severity: severityOr(cfg.severity, severity),
    confidence: round(confidenceFrom(Math.abs(s.z), threshold, 3 * threshold) * (s.baselineKind === 'seasonal' ? 1 : 0.8), 3),
    api: a.api,
    subject: { kind: 'api', value: a.api },
    windowStart: start,
    windowEnd: s.minute + MINUTE,
    title: clip(title),
    description: clip(description, 4000),
    evidence: {
      change: s.kind,
      score: round(Math.abs(s.z), 2),
      observed: s.observed,
      expected: round(s.expected, 2),
      ratio: round(ratio, 3),
      windowMinutes: s.minutes,
      baselineKind: s.baselineKind,
      direction: a.direction,
      minute: new Date(s.minute).toISOString(),
    },
    ...(s.kind === 'spike' ? { owasp: OWASP.RESOURCE_CONSUMPTION } : {}),
    eventIds: sample(inWindow),
    episode: { from: start, to: s.minute + MINUTE },
    aspect: s.kind,
    magnitude: Math.abs(s.z),
    usual: { ips: [] },
  };
}
