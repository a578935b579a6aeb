import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../random.js';
import { simulate, type Simulation } from '../simulate.js';
import { HOUR, MINUTE } from '../traffic.js';
import { DAY, HOLIDAY_DAYS, injectedAnomalies, pareto, poisson, rateNoise, rhythm } from './busy-api-rate.js';

const MONDAY = Date.UTC(2026, 11, 14);
const quantile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

describe("the busy api's rate model", () => {
  it('follows a daily rhythm, quieter at weekends, and treats the holidays (a Thursday and a Friday) like a Sunday', () => {
    const at = (day: number, hour: number) => rhythm(MONDAY + day * DAY + hour * HOUR, MONDAY);
    expect(at(0, 17)).toBe(1);
    expect(at(0, 4)).toBeLessThan(0.15);
    expect(at(5, 17)).toBeLessThan(0.8); // Saturday
    expect(at(5, 1)).toBeGreaterThan(at(4, 1)); // a weekend night is busier
    expect(HOLIDAY_DAYS.map((d) => new Date(MONDAY + d * DAY).getUTCDay())).toEqual([4, 5]);
    for (const hour of [3, 10, 17, 22]) expect(at(10, hour)).toBe(at(6, hour));
    expect(at(3, 17)).toBe(at(0, 17)); // the Thursday before is an ordinary weekday
    // No step at midnight: the last minute of a day leads into the next.
    expect(Math.abs(rhythm(MONDAY + DAY - MINUTE, MONDAY) - rhythm(MONDAY + DAY, MONDAY))).toBeLessThan(0.01);
  });

  it('has heavy-tailed, bursty noise that stays ordinary: centred on 1, a few minutes at 2x, none at the injected spike’s 5x', () => {
    const noise = rateNoise(createRandom(3));
    const xs = Array.from({ length: 14 * 24 * 60 }, (_, i) => noise(MONDAY + i * MINUTE));
    expect(quantile(xs, 0.5)).toBeGreaterThan(0.9);
    expect(quantile(xs, 0.5)).toBeLessThan(1.1);
    expect(xs.filter((x) => x > 2).length).toBeGreaterThan(5);
    expect(Math.max(...xs)).toBeGreaterThan(3); // a heavy tail: the odd minute of a burst on a high wander
    expect(Math.max(...xs)).toBeLessThan(5);
  });

  it('draws Poisson counts and Pareto sizes with the right centre and floor', () => {
    const r = createRandom(5);
    const small = Array.from({ length: 20_000 }, () => poisson(r, 4));
    const large = Array.from({ length: 20_000 }, () => poisson(r, 90));
    expect(small.reduce((a, b) => a + b, 0) / small.length).toBeCloseTo(4, 1);
    expect(large.reduce((a, b) => a + b, 0) / large.length).toBeCloseTo(90, 0);
    expect(poisson(r, 0)).toBe(0);
    const sizes = Array.from({ length: 20_000 }, () => pareto(r, 2, 1.6));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(2);
    expect(quantile(sizes, 0.5)).toBeCloseTo(2 * 2 ** (1 / 1.6), 1);
  });

  it('places the outage on day 4, the spike on day 5 and the level shift from day 9 to the end', () => {
    const [outage, spike, shift] = injectedAnomalies(MONDAY, MONDAY + 14 * DAY);
    expect(outage).toMatchObject({ from: MONDAY + 3 * DAY + 14 * HOUR, to: MONDAY + 3 * DAY + 14 * HOUR + 45 * MINUTE, factor: 0.02 });
    expect(spike).toMatchObject({ from: MONDAY + 4 * DAY + 19 * HOUR, to: MONDAY + 4 * DAY + 22 * HOUR, factor: 5 });
    expect(shift).toMatchObject({ from: MONDAY + 8 * DAY + 9 * HOUR, to: MONDAY + 14 * DAY, factor: 2, labelEnd: MONDAY + 8 * DAY + 13 * HOUR });
  });
});

describe('the busy-api scenario', () => {
  let sim: Simulation;
  const perHour = new Map<number, number>();
  /** Calls a minute on average over `hours` hours from `from`. */
  const rate = (from: number, hours = 1) => {
    let n = 0;
    for (let h = from; h < from + hours * HOUR; h += HOUR) n += perHour.get(h) ?? 0;
    return n / (hours * 60);
  };
  const at = (day: number, hour: number) => MONDAY + day * DAY + hour * HOUR;
  beforeAll(() => {
    sim = simulate({ scenario: 'busy-api' });
    for (const e of sim.events) {
      const h = Math.floor(e.timestamp / HOUR) * HOUR;
      perHour.set(h, (perHour.get(h) ?? 0) + 1);
    }
  }, 120_000);

  it('is two weeks of one api from Monday, under two million events, with three volume labels and one stray finding allowed a week', () => {
    expect([sim.start, sim.end]).toEqual([MONDAY, MONDAY + 14 * DAY]);
    expect(sim.events.length).toBeGreaterThan(1_500_000);
    expect(sim.events.length).toBeLessThan(2_000_000);
    expect(sim.events.every((e) => e.api === 'storefront')).toBe(true);
    expect(sim.labels.map((l) => [l.detector, l.api, l.subject])).toEqual([
      ['volume_anomaly', 'storefront', undefined],
      ['volume_anomaly', 'storefront', undefined],
      ['volume_anomaly', 'storefront', undefined],
    ]);
    expect(sim.allowance).toEqual({ perWeek: 1 });
    expect(sim.patterns).toEqual([]);
  });

  it('peaks in the low hundreds a minute on weekdays, sleeps at night, and is quieter at the weekend', () => {
    expect(rate(at(1, 17))).toBeGreaterThan(80);
    expect(rate(at(1, 17))).toBeLessThan(160);
    expect(rate(at(1, 4))).toBeLessThan(0.25 * rate(at(1, 17)));
    expect(rate(at(5, 9), 12)).toBeLessThan(0.8 * rate(at(4, 9), 10)); // Saturday daytime against Friday's before the spike
  });

  it('carries the injected anomalies: almost nothing for 45 minutes, five times for three hours, double from day 9 on', () => {
    const outage = sim.events.filter((e) => e.timestamp >= at(3, 14) && e.timestamp < at(3, 14) + 45 * MINUTE).length / 45;
    expect(outage).toBeLessThan(0.05 * rate(at(2, 14)));
    expect(rate(at(4, 19), 3) / rate(at(3, 19), 3)).toBeGreaterThan(3.5);
    expect(rate(at(4, 19), 3) / rate(at(3, 19), 3)).toBeLessThan(6.5);
    expect(rate(at(8, 10), 8) / rate(at(1, 10), 8)).toBeGreaterThan(1.6); // Tuesday after the shift against the Tuesday before
    expect(rate(at(8, 10), 8) / rate(at(1, 10), 8)).toBeLessThan(2.5);
  });

  it('has its holidays look like the weekend after them, and not like the weekdays before', () => {
    const day = (d: number) => rate(at(d, 0), 24);
    for (const holiday of HOLIDAY_DAYS) {
      expect(day(holiday) / day(12)).toBeGreaterThan(0.8);
      expect(day(holiday) / day(12)).toBeLessThan(1.25);
      expect(day(holiday) / day(9)).toBeLessThan(0.9);
    }
  });

  it('is the same for the same seed and differs for another', () => {
    const a = simulate({ scenario: 'busy-api', hours: 6 });
    expect(simulate({ scenario: 'busy-api', hours: 6 })).toEqual(a);
    expect(simulate({ scenario: 'busy-api', hours: 6, seed: 8 }).events.length).not.toBe(a.events.length);
  });
});
