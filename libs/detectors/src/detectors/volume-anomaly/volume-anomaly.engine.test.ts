import type { ApiTransaction, Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, latest, only } from '../../testing.js';
import { volumeAnomaly } from './index.js';

const DAY = 24 * HOUR;
const run = (events: ApiTransaction[], batchSize = 100) => detect(events, { detectors: [volumeAnomaly], batchSize }).then((f) => only(f, 'volume_anomaly'));

/**
 * Three days of 06:00–08:00 traffic of the provider `payments-provider`
 * (outbound) with a daily pattern: 5 calls/min at night (before 07:00), 45/min
 * in the day. On the third day the provider goes quiet from 07:30 to 07:50 (an
 * outage) while the inbound api `accounts` keeps receiving 25/min, so event
 * time moves on and the quiet minutes close.
 */
const DAY3 = T0 + 2 * DAY;
const OUTAGE_FROM = DAY3 + 7 * HOUR + 30 * MINUTE;
const OUTAGE_TO = OUTAGE_FROM + 20 * MINUTE;
function seasonalDays(): ApiTransaction[] {
  const out: ApiTransaction[] = [];
  for (let d = 0; d < 3; d++) {
    const day = T0 + d * DAY;
    const seed = 100 + 10 * d;
    const provider = { api: 'payments-provider', direction: 'outbound' as const, path: () => '/v1/charges' };
    out.push(...background({ from: day + 6 * HOUR, to: day + 7 * HOUR, perMinute: 5, seed, ...provider }));
    out.push(...background({ from: day + 7 * HOUR, to: day + 8 * HOUR, perMinute: 45, seed: seed + 1, ...provider }));
  }
  out.push(...background({ from: DAY3 + 6 * HOUR, to: DAY3 + 8 * HOUR, perMinute: 25, api: 'accounts', seed: 99 }));
  return out.filter((e) => !(e.api === 'payments-provider' && e.timestamp >= OUTAGE_FROM && e.timestamp < OUTAGE_TO));
}

describe('volume_anomaly', () => {
  // One run serves the seasonal cases (three days of traffic are the costly part).
  let seasonal: Promise<Finding[]> | undefined;
  const thirdDay = async () => (await (seasonal ??= run(seasonalDays(), 200))).filter((f) => f.windowStart >= DAY3);

  it('fires one high drop when a provider goes quiet for 20 minutes while other apis keep sending, extended while it lasts', async () => {
    const all = (await thirdDay()).filter((f) => f.evidence.change === 'drop');
    // Published as it was found, then raised and revised as the outage went on: one window.
    expect(all.slice(1).every((f) => f.evidence.updates === all[0]!.id)).toBe(true);
    const [f, ...rest] = latest(all);
    expect(rest).toEqual([]);
    expect(f!.subject).toEqual({ kind: 'api', value: 'payments-provider' });
    expect(f!.evidence).toMatchObject({ direction: 'outbound', baselineKind: 'seasonal', observed: 0 });
    expect(f!.severity).toBe('high');
    expect(f!.owasp).toBeUndefined();
    expect(f!.windowStart).toBe(OUTAGE_FROM);
    expect(f!.windowEnd).toBeGreaterThanOrEqual(OUTAGE_FROM + 15 * MINUTE);
    expect(f!.windowEnd).toBeLessThanOrEqual(OUTAGE_TO);
    // The expectation is the day rate of the same hour on the two previous days (45/min), over the window judged.
    const perMinute = Number(f!.evidence.expected) / Number(f!.evidence.windowMinutes);
    expect(perMinute).toBeGreaterThan(40);
    expect(perMinute).toBeLessThan(50);
    expect(Number(f!.evidence.score)).toBeGreaterThan(10);
  });

  it('does not fire on the ordinary daily rise (5/min to 45/min at 07:00) once the seasonal baseline exists', async () => {
    const others = (await thirdDay()).filter((f) => !(f.evidence.change === 'drop' && f.windowStart >= OUTAGE_FROM && f.windowStart < OUTAGE_TO));
    expect(others).toEqual([]);
  });

  it('fires a drop against a ramping baseline (no seasonal history)', async () => {
    // Two hours ramping from 40/min to 60/min, then 20 minutes without a call.
    const from = T0 + 10 * HOUR;
    const orders = { api: 'orders', path: () => '/orders' };
    const ramp = [40, 47, 53, 60].flatMap((perMinute, i) => background({ from: from + i * 30 * MINUTE, to: from + (i + 1) * 30 * MINUTE, perMinute, seed: 5 + i, ...orders }));
    const events = [
      ...ramp,
      ...background({ from, to: from + 3 * HOUR, perMinute: 25, api: 'accounts', seed: 7 }),
      ...background({ from: from + 2 * HOUR + 20 * MINUTE, to: from + 3 * HOUR, perMinute: 60, seed: 9, ...orders }),
    ];
    const drops = latest((await run(events, 200)).filter((f) => f.evidence.change === 'drop'));
    expect(drops.map((f) => [f.api, f.windowStart, f.severity, f.evidence.baselineKind, f.evidence.observed])).toEqual([['orders', from + 2 * HOUR, 'high', 'recent', 0]]);
  });

  describe('on an evening ramp down with no seasonal history (orders at 40, 36, 32 calls a minute, then 28)', () => {
    const from = T0 + 18 * HOUR;
    const orders = { api: 'orders', path: () => '/orders' };
    const NEXT = from + 3 * HOUR;
    /** The ramp, the next hour at 28/min with the minutes `quiet` gives left out, and accounts moving event time on. */
    const evening = (quiet: (t: number) => boolean) => [
      ...[40, 36, 32].flatMap((perMinute, i) => background({ from: from + i * HOUR, to: from + (i + 1) * HOUR, perMinute, seed: 40 + i, ...orders })),
      ...background({ from: NEXT, to: NEXT + 40 * MINUTE, perMinute: 28, seed: 44, ...orders }).filter((e) => !quiet(e.timestamp)),
      ...background({ from, to: NEXT + 40 * MINUTE, perMinute: 25, api: 'accounts', seed: 45 }),
    ];

    it('does not take one quiet minute (7 calls against 28) for a drop', async () => {
      const minute = NEXT + 20 * MINUTE;
      let kept = 0;
      const events = evening((t) => t >= minute && t < minute + MINUTE && kept++ >= 7);
      expect(events.filter((e) => e.api === 'orders' && e.timestamp >= minute && e.timestamp < minute + MINUTE)).toHaveLength(7);
      expect((await run(events, 200)).filter((f) => f.evidence.change === 'drop')).toEqual([]);
    });

    it('fires on an outage, against the latest hour', async () => {
      const drops = latest((await run(evening((t) => t >= NEXT + 20 * MINUTE && t < NEXT + 30 * MINUTE), 200)).filter((f) => f.evidence.change === 'drop'));
      expect(drops).toHaveLength(1);
      expect(drops[0]!.evidence).toMatchObject({ observed: 0, baselineKind: 'recent' });
      expect(drops[0]!.windowStart).toBe(NEXT + 20 * MINUTE);
      const perMinute = Number(drops[0]!.evidence.expected) / Number(drops[0]!.evidence.windowMinutes);
      expect(perMinute).toBeGreaterThan(28);
      expect(perMinute).toBeLessThan(34);
    });
  });

  it('fires a medium spike against the seasonal baseline (a surge of 45/min in an hour that runs at 5/min)', async () => {
    const events = seasonalDays();
    const surgeFrom = DAY3 + 6 * HOUR + 20 * MINUTE;
    const provider = { api: 'payments-provider', direction: 'outbound' as const, path: () => '/v1/charges' };
    events.push(...background({ from: surgeFrom, to: surgeFrom + 5 * MINUTE, perMinute: 40, seed: 77, ...provider }));
    const spikes = latest((await run(events, 200)).filter((f) => f.evidence.change === 'spike'));
    expect(spikes).toHaveLength(1);
    const [f] = spikes;
    expect(f!.evidence.baselineKind).toBe('seasonal');
    expect(f!.severity).toBe('medium');
    expect(f!.windowStart).toBeGreaterThanOrEqual(surgeFrom - 5 * MINUTE);
    expect(f!.windowStart).toBeLessThanOrEqual(surgeFrom);
    expect(f!.windowEnd).toBeGreaterThanOrEqual(surgeFrom + 5 * MINUTE);
  });

  it('finds the same windows when one batch spans 40 minutes and an hour boundary (a backlog) as in small batches', async () => {
    // 3,000 events are about 43 minutes of the third day: every minute still closes, each judged against its own hour.
    const windows = (fs: Finding[]) => latest(fs).map((f) => f.evidence.updates ?? f.id).sort();
    const small = windows(await thirdDay());
    const large = (await run(seasonalDays(), 3000)).filter((f) => f.windowStart >= DAY3);
    expect(small.length).toBeGreaterThan(0);
    expect(windows(large)).toEqual(small);
    expect(large.every((f) => f.evidence.change === 'drop' && f.evidence.baselineKind === 'seasonal')).toBe(true);
  });

  it.each([
    // Without seasonal history a spike is only a first doubt (low): a daily ramp looks the same.
    { name: '6x spike', extraPerMinute: 50, minRatio: 4, maxRatio: 7.5 },
    { name: '12x spike', extraPerMinute: 110, minRatio: 7, maxRatio: 14 },
  ])('reports a $name of an inbound api with only recent history, once, at low severity', async ({ extraPerMinute, minRatio, maxRatio }) => {
    // Two hours of history (the recent baseline), then a 10-minute spike.
    const spikeFrom = T0 + 2 * HOUR + 10 * MINUTE;
    const events = [
      ...background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 10, seed: 1 }),
      ...background({ from: spikeFrom, to: spikeFrom + 10 * MINUTE, perMinute: extraPerMinute, seed: 2 }),
    ];
    const all = await run(events);
    const findings = latest(all);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'api', value: 'accounts' });
    expect(f.evidence).toMatchObject({ change: 'spike', baselineKind: 'recent' });
    expect(f.severity).toBe('low');
    expect(f.owasp).toBe('API4:2023');
    expect(f.evidence.ratio).toBeGreaterThanOrEqual(minRatio);
    expect(f.evidence.ratio).toBeLessThanOrEqual(maxRatio);
    expect(f.windowStart).toBeGreaterThanOrEqual(spikeFrom - 5 * MINUTE);
    expect(f.windowStart).toBeLessThanOrEqual(spikeFrom);
    // Its first publication carries events of the spike (a revision, from a later batch, those it still holds).
    expect(all[0]!.eventIds.length).toBeGreaterThan(0);
  });

  it('finds a quiet api (10 calls a minute) going silent, which a minimum count would hide', async () => {
    const events = [...background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 4 }), ...background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 10, api: 'search', seed: 5 })];
    const drops = latest(await run(events));
    expect(drops.map((f) => [f.api, f.evidence.change, f.severity, f.windowStart])).toEqual([['search', 'drop', 'high', T0 + 2.5 * HOUR]]);
  });

  it.each([
    { name: 'steady background traffic for three hours', events: () => background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 3 }) },
    {
      name: 'a 2x rise for 20 minutes',
      events: () => [
        ...background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 6 }),
        ...background({ from: T0 + 2 * HOUR, to: T0 + 2 * HOUR + 20 * MINUTE, perMinute: 20, seed: 7 }),
      ],
    },
  ])('does not fire on $name', async ({ events }) => {
    expect(await run(events())).toEqual([]);
  });
});
