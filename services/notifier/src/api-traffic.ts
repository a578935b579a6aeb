import { directions, type Direction } from '@vigil/contracts';
import { directionCode, storageKeys } from '@vigil/detectors';
import { StateError } from '@vigil/errors';
import { createKeyspace, type RedisClient } from '@vigil/redis';
import { apiName, oneOfParam, timeParam } from './api-params.js';
import { HttpError, type ApiRoute } from './api-http.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** At most this many minutes per request: the per-minute counts live 3 hours, so a wider range would be mostly empty. */
export const MAX_TRAFFIC_MINUTES = 360;
/** Previous days looked at for an hour's seasonal baseline. */
const BASELINE_DAYS = 7;

/** An hour's expected calls per minute and what it rests on: the same hour on earlier days, the 3 hours before, or nothing yet. */
export interface HourBaseline {
  hour: number;
  perMinute: number | null;
  basis: 'same_hour' | 'recent_hours' | 'none';
}

export interface Traffic {
  api: string;
  direction: Direction;
  from: number;
  to: number;
  /** Calls per minute as the detector counted them (null: no count kept, or none that minute). */
  minutes: { at: number; calls: number | null }[];
  baseline: HourBaseline[];
}

export type TrafficReader = (api: string, direction: Direction, from: number, to: number) => Promise<Traffic>;

/**
 * The detector's per-minute and per-hour api counts in Redis (its key
 * families `storageKeys.apiMinute` and `apiHour` under the api's hash tag,
 * field `n`), read in one pipeline (one Cluster slot).
 */
export function redisTraffic(redis: RedisClient, prefix: string): TrafficReader {
  const keys = createKeyspace(prefix);
  return async (api, direction, from, to) => {
    const dir = directionCode(direction);
    const minuteKey = (m: number) => keys.key(api, ...storageKeys.apiMinute(dir, m).map(String));
    const hourKey = (h: number) => keys.key(api, ...storageKeys.apiHour(dir, h).map(String));
    const minutes = range(Math.floor(from / MINUTE), Math.floor(to / MINUTE));
    const hours = range(Math.floor(from / HOUR), Math.floor(to / HOUR));
    const p = redis.pipeline();
    for (const m of minutes) p.hget(minuteKey(m), 'n');
    for (const h of hours) for (let k = 1; k <= BASELINE_DAYS; k++) p.hget(hourKey(h - 24 * k), 'n');
    for (const h of hours) for (let k = 1; k <= 3; k++) p.hget(hourKey(h - k), 'n');
    let replies: (number | null)[];
    try {
      replies = ((await p.exec()) ?? []).map(([err, v]) => {
        if (err) throw err;
        return v === null || v === undefined ? null : Number(v);
      });
    } catch (err) {
      throw new StateError('VIGIL_REDIS_COMMAND', `traffic: ${(err as Error).message}`, { cause: err, retriable: true });
    }
    const counts = replies.slice(0, minutes.length);
    const seasonal = replies.slice(minutes.length, minutes.length + hours.length * BASELINE_DAYS);
    const recent = replies.slice(minutes.length + hours.length * BASELINE_DAYS);
    return {
      api,
      direction,
      from: minutes[0]! * MINUTE,
      to: (minutes.at(-1)! + 1) * MINUTE,
      minutes: minutes.map((m, i) => ({ at: m * MINUTE, calls: counts[i] ?? null })),
      baseline: hours.map((hour, i) => hourBaseline(hour, seasonal.slice(i * BASELINE_DAYS, (i + 1) * BASELINE_DAYS), recent.slice(i * 3, i * 3 + 3))),
    };
  };
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, k) => first + k);
}

function mean(values: (number | null)[]): number | undefined {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0) / present.length;
}

/** The same hour on earlier days when any was counted, else the hours just before (per minute: the hour's count / 60). */
export function hourBaseline(hour: number, sameHour: (number | null)[], recentHours: (number | null)[]): HourBaseline {
  const seasonal = mean(sameHour);
  if (seasonal !== undefined) return { hour: hour * HOUR, perMinute: seasonal / 60, basis: 'same_hour' };
  const recent = mean(recentHours);
  if (recent !== undefined) return { hour: hour * HOUR, perMinute: recent / 60, basis: 'recent_hours' };
  return { hour: hour * HOUR, perMinute: null, basis: 'none' };
}

/** GET /traffic/{api}?direction&from&to: from and to RFC 3339, at most 6 hours apart; by default the 2 hours up to now. */
export function trafficRoute(read: TrafficReader, clock: () => number): ApiRoute {
  return {
    method: 'GET',
    template: '/traffic/{api}',
    pattern: /^\/traffic\/([^/]+)$/,
    async handle([api], _b, query) {
      apiName(api!);
      const direction = oneOfParam(query, 'direction', directions) ?? 'inbound';
      const to = timeParam(query, 'to') ?? clock();
      const from = timeParam(query, 'from') ?? to - 2 * HOUR;
      if (from > to) throw new HttpError(400, 'from must not be after to');
      if (to - from > MAX_TRAFFIC_MINUTES * MINUTE) throw new HttpError(400, `from and to must be at most ${MAX_TRAFFIC_MINUTES / 60} hours apart`);
      return [200, await read(api!, direction, from, to)];
    },
  };
}
