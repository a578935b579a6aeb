import { directionCode, storageKeys } from '../storage/keys.js';
import type { ApiMinute, ApiWindow } from '../types.js';
import { HOUR, MINUTE } from '../units.js';
import type { BatchRecord } from './batch.js';
import type { ApiBaseline, EngineParts } from './parts.js';
import type { Handle, ShardResults } from './shard-plan.js';

/**
 * An api's minutes are judged once, when they close: when the window clock
 * passes their end plus the lateness allowance. Each closing minute is judged
 * against its own hour's expectation: the same hour on previous days
 * (seasonal) once enough days exist, else the recent hours. A batch can close
 * minutes of two hours, or more in a backlog.
 */

/** At most this many api minutes close in one batch (a backlog after a long gap closes its latest minutes only). */
const MAX_CLOSING_MINUTES = 120;

/** Per api (`api\u0000direction code`): the closing minutes' counts, and per closing hour the baseline hours the cache lacks. */
export interface ApiReads {
  closing: number[];
  closingHours: number[];
  byApi: Map<string, { minutes: Handle[]; baselines: Map<number, { seasonal: Handle[]; recent: Handle[] }> }>;
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
    const entry = { minutes: closing.map((minute) => batch.shards.read(a.api, storageKeys.apiMinute(dir, minute))), baselines: new Map<number, { seasonal: Handle[]; recent: Handle[] }>() };
    for (const hour of closingHours) {
      if (parts.apiBaselines.has(`${id}\u0000${hour}`)) continue;
      entry.baselines.set(hour, {
        seasonal: Array.from({ length: 7 }, (_, k) => batch.shards.read(a.api, storageKeys.apiHour(dir, hour - 24 * (k + 1)))),
        recent: Array.from({ length: 3 }, (_, k) => batch.shards.read(a.api, storageKeys.apiHour(dir, hour - 1 - k))),
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
        base = baselineOf(parts, r, results);
        parts.apiBaselines.set(`${id}\u0000${hour}`, base);
      }
      baseOf.set(hour, base);
    }
    const closedMinutes = reads.closing.map((minute, i): ApiMinute => {
      const base = baseOf.get(Math.floor((minute * MINUTE) / HOUR));
      return {
        minute: minute * MINUTE,
        n: results.hash(apiReads.minutes[i]!).n ?? 0,
        expectedPerMinute: base?.expected,
        dropExpectedPerMinute: base?.dropExpected,
        spreadPerMinute: base?.spread,
        baselineKind: base?.kind ?? 'warming_up',
      };
    });
    const last = closedMinutes[closedMinutes.length - 1];
    windows.push({ api: a.api, direction: a.direction, closedMinutes, expectedPerMinute: last?.expectedPerMinute, spreadPerMinute: last?.spreadPerMinute, baselineKind: last?.baselineKind ?? 'warming_up' });
  }
  return windows;
}

/** An hour's expectation: seasonal with enough days, else recent hours once warm, else none yet. */
function baselineOf(parts: EngineParts, reads: { seasonal: Handle[]; recent: Handle[] }, results: ShardResults): ApiBaseline {
  const seasonal = reads.seasonal.map((h) => results.hash(h).n ?? 0).filter((n) => n > 0);
  const recent = reads.recent.map((h) => results.hash(h).n ?? 0).filter((n) => n > 0);
  if (seasonal.length >= parts.config.volume_anomaly.seasonalDays) return { ...robust(seasonal), kind: 'seasonal' };
  if (recent.length < Math.min(3, parts.config.warmupHours)) return { expected: undefined, spread: undefined, kind: 'warming_up' };
  const b = robust(recent);
  // The latest hour's rate (the hour before): a drop is judged against it when it is lower.
  const latestHour = (results.hash(reads.recent[0]!).n ?? 0) / 60;
  return { ...b, dropExpected: latestHour > 0 ? Math.min(b.expected, latestHour) : b.expected, kind: 'recent' };
}

/** Median and median absolute deviation of hour counts, per minute. */
export function robust(hourCounts: number[]): { expected: number; spread: number } {
  const s = [...hourCounts].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const med = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const devs = s.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  const mad = devs.length % 2 ? devs[devs.length >> 1]! : (devs[(devs.length >> 1) - 1]! + devs[devs.length >> 1]!) / 2;
  const expected = med / 60;
  // Spread per minute: the hour-to-hour spread scaled to a minute, floored by Poisson noise.
  return { expected, spread: Math.max((1.4826 * mad) / 60, Math.sqrt(Math.max(expected, 1))) };
}
