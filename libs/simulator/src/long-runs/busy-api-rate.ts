import type { Random } from '../random.js';
import { HOUR, MINUTE } from '../traffic.js';

export const DAY = 24 * HOUR;

/**
 * Share of the weekday peak per hour of the day (UTC), for a busy
 * storefront: a deep night, a long working day, a busy evening; weekends
 * and holidays later, lower, with late nights.
 */
const WEEKDAY = [0.3, 0.2, 0.14, 0.11, 0.1, 0.12, 0.2, 0.35, 0.55, 0.7, 0.8, 0.88, 0.95, 0.92, 0.88, 0.9, 0.95, 1, 0.98, 0.95, 0.9, 0.8, 0.62, 0.45] as const;
const WEEKEND = [0.45, 0.35, 0.25, 0.17, 0.13, 0.12, 0.14, 0.2, 0.3, 0.42, 0.52, 0.6, 0.65, 0.66, 0.65, 0.65, 0.68, 0.72, 0.76, 0.8, 0.82, 0.78, 0.68, 0.56] as const;

/** Which days of the run (0 = its first) are public holidays: Christmas Eve and Christmas Day from the default start, a Thursday and a Friday. */
export const HOLIDAY_DAYS = [10, 11] as const;

function profileOf(t: number, runStart: number): readonly number[] {
  const dayIndex = Math.floor((t - runStart) / DAY);
  const weekday = new Date(t).getUTCDay();
  return weekday === 0 || weekday === 6 || (HOLIDAY_DAYS as readonly number[]).includes(dayIndex) ? WEEKEND : WEEKDAY;
}

/** The ordinary rhythm at `t`, as a share of the weekday peak: hour by hour, interpolated within the hour. */
export function rhythm(t: number, runStart: number): number {
  const d = new Date(t);
  const hour = d.getUTCHours();
  const within = (d.getUTCMinutes() + d.getUTCSeconds() / 60) / 60;
  const here = profileOf(t, runStart)[hour]!;
  const next = hour === 23 ? profileOf(t + HOUR, runStart)[0]! : profileOf(t, runStart)[hour + 1]!;
  return here + (next - here) * within;
}

/** A real anomaly injected into the busy api: what it multiplies the traffic by, from when to when, and the span its label covers. */
export interface InjectedAnomaly {
  description: string;
  from: number;
  to: number;
  /** Traffic multiplier (0.02: an outage). */
  factor: number;
  labelEnd: number;
}

/** The three anomalies, at fixed points of the run: an outage on day 4, a spike on day 5, a level shift from day 9 to the end. */
export function injectedAnomalies(runStart: number, runEnd: number): InjectedAnomaly[] {
  const outage = runStart + 3 * DAY + 14 * HOUR;
  const spike = runStart + 4 * DAY + 19 * HOUR;
  const shift = runStart + 8 * DAY + 9 * HOUR;
  return [
    { description: 'an outage upstream: the storefront receives almost nothing (2% of its calls) for 45 minutes', from: outage, to: outage + 45 * MINUTE, factor: 0.02, labelEnd: outage + 45 * MINUTE },
    { description: 'a spike of hours: five times the usual traffic for three hours (a television spot)', from: spike, to: spike + 3 * HOUR, factor: 5, labelEnd: spike + 3 * HOUR },
    { description: 'a level shift: traffic doubles and stays doubled to the end of the run (a new market opens); the label covers its first four hours', from: shift, to: Math.max(runEnd, shift + 4 * HOUR), factor: 2, labelEnd: shift + 4 * HOUR },
  ];
}

/** Pareto-distributed: at least `min`, tail index `alpha` (the smaller, the heavier). */
export function pareto(r: Random, min: number, alpha: number): number {
  return min / Math.pow(1 - r.next(), 1 / alpha);
}

/** Poisson-distributed count with this mean (normal approximation above 30). */
export function poisson(r: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * r.gaussian()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r.next(); p > limit; p *= r.next()) k++;
  return k;
}

const SLOW_MEMORY = Math.exp(-1 / 120); // a slow wander over about two hours
const SLOW_SPREAD = 0.12;
const BURSTS_PER_MINUTE = 1 / 150; // about ten ordinary bursts a day
const MAX_BURST_EXTRA = 1.5;

/**
 * The ordinary noise on the rate, minute after minute (call it with
 * consecutive minutes): a day-to-day level (±6%), a slow log-normal wander
 * (±12%, about two hours' memory), a per-minute log-normal jitter (±15%),
 * and ordinary short bursts (a push notification, a newsletter): about ten a
 * day, 2–6 minutes, peaking at 1.3–2.5 times the rate (Pareto-sized, most of
 * them small) and fading.
 */
export function rateNoise(r: Random): (minute: number) => number {
  let day = Number.NaN;
  let dayLevel = 0;
  let wander = 0;
  let burst = { from: 0, until: 0, extra: 0 };
  return (minute) => {
    const d = Math.floor(minute / DAY);
    if (d !== day) {
      day = d;
      dayLevel = 0.06 * r.gaussian();
    }
    wander = wander * SLOW_MEMORY + SLOW_SPREAD * Math.sqrt(1 - SLOW_MEMORY * SLOW_MEMORY) * r.gaussian();
    if (minute >= burst.until && r.next() < BURSTS_PER_MINUTE) burst = { from: minute, until: minute + (2 + r.int(5)) * MINUTE, extra: Math.min(MAX_BURST_EXTRA, pareto(r, 0.3, 1.8)) };
    const inBurst = minute < burst.until ? 1 + burst.extra * Math.exp(-(minute - burst.from) / (2 * MINUTE)) : 1;
    return Math.exp(dayLevel + wander + 0.15 * r.gaussian()) * inBurst;
  };
}
