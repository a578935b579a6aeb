import { directionCode, storageKeys } from '../storage/keys.js';
import type { ApiMinute, ApiWindow } from '../types.js';
import { median } from '../stats.js';
import { DAY, HOUR, MINUTE } from '../units.js';
import type { BatchRecord } from './batch.js';
import type { ApiBaseline, EngineParts } from './parts.js';
import type { Handle, ShardResults } from './shard-plan.js';

/**
 * An api's minutes are judged once, when they close: when the window clock
 * passes their end plus the lateness allowance. Each is judged against its
 * own hour's expectation, with the phase of the hour its traffic keeps:
 *
 * - the hour: the same hour on previous days of the same kind (weekdays
 *   with weekdays, weekends with weekends) once `seasonalDays` of them
 *   exist, else the recent hours;
 * - its spread: how much those hours vary (in log terms), so a busy api's
 *   ordinary swings and a quiet api's real outage are judged alike;
 * - the minute: the share of its hour's traffic the same minute of the same
 *   hour carried on previous days of its kind (a partner's job at :00, a
 *   nightly sync from 02:00 to 02:20 keep their traffic there).
 *
 * The closed minutes of the last hours are kept per api (process-local) so
 * that a detector can judge windows of several minutes.
 */

/** At most this many api minutes close in one batch (a backlog after a long gap closes its latest minutes only). */
const MAX_CLOSING_MINUTES = 120;
/** Days looked back for the same hour. */
const SAME_HOUR_DAYS = 14;
/** Days of the same hour whose minutes make its profile. */
const PROFILE_DAYS = 7;

interface BaselineReads {
  sameHour: Handle[];
  dayTotals: Handle[];
  recent: Handle[];
  profile: Handle[];
}

/** Per api (`api\u0000direction code`): the closing minutes' counts, and per closing hour the baseline reads the cache lacks. */
export interface ApiReads {
  closing: number[];
  closingHours: number[];
  byApi: Map<string, { minutes: Handle[]; baselines: Map<number, BaselineReads> }>;
}

/** The minutes that close with this batch, and what judging them needs to read. */
export function planApiReads(parts: EngineParts, batch: BatchRecord): ApiReads {
  const closing = closingMinutes(parts, batch.windowsAt);
  const closingHours = [...new Set(closing.map((minute) => Math.floor((minute * MINUTE) / HOUR)))];
  const byApi: ApiReads['byApi'] = new Map();
  if (closing.length === 0) return { closing, closingHours, byApi };
  for (const id of [...parts.knownApis.keys()].sort()) {
    const a = parts.knownApis.get(id)!;
    const dir = directionCode(a.direction);
    const read = (key: readonly (string | number)[]) => batch.shards.read(a.api, key);
    const entry = { minutes: closing.map((minute) => read(storageKeys.apiMinute(dir, minute))), baselines: new Map<number, BaselineReads>() };
    for (const hour of closingHours) {
      if (parts.apiBaselines.has(`${id}\u0000${hour}`)) continue;
      const day = Math.floor((hour * HOUR) / DAY);
      entry.baselines.set(hour, {
        sameHour: Array.from({ length: SAME_HOUR_DAYS }, (_, k) => read(storageKeys.apiHour(dir, hour - 24 * (k + 1)))),
        dayTotals: Array.from({ length: SAME_HOUR_DAYS }, (_, k) => read(storageKeys.apiDay(dir, day - k - 1))),
        recent: Array.from({ length: 3 }, (_, k) => read(storageKeys.apiHour(dir, hour - 1 - k))),
        profile: Array.from({ length: PROFILE_DAYS }, (_, k) => read(storageKeys.apiMinuteProfile(dir, hour - 24 * (k + 1)))),
      });
    }
    byApi.set(id, entry);
  }
  return { closing, closingHours, byApi };
}

/** The minutes the window clock closed since the last batch (none on the first: it only starts the count). */
function closingMinutes(parts: EngineParts, windowsAt: number): number[] {
  const clock = parts.clock;
  const closedUpTo = Math.floor((windowsAt - parts.config.latenessMs) / MINUTE) - 1;
  if (clock.lastClosedMinute === undefined) {
    clock.lastClosedMinute = closedUpTo;
    return [];
  }
  if (closedUpTo <= clock.lastClosedMinute) return [];
  const from = Math.max(clock.lastClosedMinute + 1, closedUpTo - MAX_CLOSING_MINUTES + 1);
  clock.lastClosedMinute = closedUpTo;
  return Array.from({ length: closedUpTo - from + 1 }, (_, i) => from + i);
}

/** Every known api's closed minutes, each with its hour's expectation (baselines read now are cached for the hour). */
export function apiWindows(parts: EngineParts, reads: ApiReads, results: ShardResults): ApiWindow[] {
  const windows: ApiWindow[] = [];
  for (const [id, apiReads] of reads.byApi) {
    const a = parts.knownApis.get(id)!;
    const baseOf = new Map<number, ApiBaseline | undefined>();
    for (const hour of reads.closingHours) {
      let base = parts.apiBaselines.get(`${id}\u0000${hour}`);
      const r = apiReads.baselines.get(hour);
      if (r) {
        base = baselineOf(parts, hour, r, results);
        parts.apiBaselines.set(`${id}\u0000${hour}`, base);
      }
      baseOf.set(hour, base);
    }
    const closedMinutes = reads.closing.map((minute, i) => closedMinute(minute, results.hash(apiReads.minutes[i]!).n ?? 0, baseOf.get(Math.floor((minute * MINUTE) / HOUR))));
    const history = parts.apiHistories.add(id, closedMinutes);
    const last = closedMinutes[closedMinutes.length - 1];
    windows.push({ api: a.api, direction: a.direction, closedMinutes, history, expectedPerMinute: last?.expectedPerMinute, spreadPerMinute: last?.spreadPerMinute, baselineKind: last?.baselineKind ?? 'warming_up' });
  }
  return windows;
}

/** A closed minute against its hour's expectation and its minute's share of the hour. */
function closedMinute(minute: number, n: number, base: ApiBaseline | undefined): ApiMinute {
  if (!base || base.expectedHour === undefined) return { minute: minute * MINUTE, n, expectedPerMinute: undefined, spreadPerMinute: undefined, baselineKind: 'warming_up' };
  const share = base.profile ? base.profile[minute % 60]! : 1 / 60;
  const expected = base.expectedHour * share;
  const drop = base.dropExpectedHour === undefined ? undefined : base.dropExpectedHour * share;
  return {
    minute: minute * MINUTE,
    n,
    expectedPerMinute: expected,
    ...(drop === undefined ? {} : { dropExpectedPerMinute: drop }),
    spreadPerMinute: Math.sqrt(expected + (base.sigmaLog * expected) ** 2),
    sigmaLog: base.sigmaLog,
    minuteShare: share * 60,
    baselineKind: base.kind,
  };
}

/** An hour's expectation: the same hour on previous days of its kind, else the recent hours once warm, else none yet. */
function baselineOf(parts: EngineParts, hour: number, reads: BaselineReads, results: ShardResults): ApiBaseline {
  const count = (h: Handle) => results.hash(h).n ?? 0;
  const weekend = isWeekend(hour * HOUR);
  // The same hour on previous days of the same kind on which the api had traffic (an hour without events counts as 0).
  const sameHour = reads.sameHour.filter((h, k) => count(reads.dayTotals[k]!) > 0 && isWeekend((hour - 24 * (k + 1)) * HOUR) === weekend).map(count);
  const profile = profileOf(reads.profile.filter((h, k) => isWeekend((hour - 24 * (k + 1)) * HOUR) === weekend).map((h) => results.hash(h)));
  if (sameHour.length >= parts.config.volume_anomaly.seasonalDays) return { expectedHour: median(sameHour)!, sigmaLog: logSpread(sameHour), profile, kind: 'seasonal' };
  const recent = reads.recent.map(count).filter((n) => n > 0);
  if (recent.length < Math.min(3, parts.config.warmupHours)) return { expectedHour: undefined, sigmaLog: 0, profile, kind: 'warming_up' };
  const expectedHour = median(recent)!;
  // The latest hour (the hour before): a drop is judged against it when it is lower (on a ramp down the median lags).
  const latest = count(reads.recent[0]!);
  return { expectedHour, dropExpectedHour: latest > 0 ? Math.min(expectedHour, latest) : expectedHour, sigmaLog: Math.max(logSpread(recent), 0.3), profile, kind: 'recent' };
}

function isWeekend(t: number): boolean {
  const day = new Date(t).getUTCDay();
  return day === 0 || day === 6;
}

/**
 * The share of an hour's traffic each of its minutes carried on the previous days, pulled toward an even spread
 * while there is little traffic to learn from; undefined without any.
 */
function profileOf(days: readonly Record<string, number>[]): number[] | undefined {
  const counts = new Array<number>(60).fill(0);
  for (const day of days) for (const [m, n] of Object.entries(day)) counts[Number(m)]! += n;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  // Like 2 events a minute of even traffic: a profile needs a hundred events or so before it leans on its phase.
  const prior = 2;
  return counts.map((n) => (n + prior) / (total + 60 * prior));
}

/** How much hour counts vary, in log terms (1.4826 × the median absolute deviation of ln(n + 1)), at least 0.1. */
export function logSpread(counts: readonly number[]): number {
  const logs = counts.map((n) => Math.log(n + 1));
  const m = median(logs)!;
  return Math.max(0.1, 1.4826 * median(logs.map((x) => Math.abs(x - m)))!);
}
