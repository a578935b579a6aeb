import type { ApiTransaction, Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, only } from '../../testing.js';
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
  // One run serves the two seasonal cases (three days of traffic are the costly part).
  let seasonal: Promise<Finding[]> | undefined;
  const thirdDay = async () => (await (seasonal ??= run(seasonalDays(), 200))).filter((f) => f.windowStart >= DAY3);

  it('fires a high drop when a provider goes quiet for 20 minutes while other apis keep sending', async () => {
    const findings = (await thirdDay()).filter((f) => f.evidence.change === 'drop');
    expect(findings.length).toBeGreaterThan(0);
    // One finding per 15-minute span at most (07:30 and 07:45), never one per minute.
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
    expect(findings.length).toBeLessThanOrEqual(2);
    for (const f of findings) {
      expect(f.subject).toEqual({ kind: 'api', value: 'payments-provider' });
      expect(f.evidence.direction).toBe('outbound');
      expect(f.evidence.baselineKind).toBe('seasonal');
      expect(f.severity).toBe('high');
      expect(f.owasp).toBeUndefined();
      expect(f.windowStart).toBeGreaterThanOrEqual(OUTAGE_FROM);
      expect(f.windowStart).toBeLessThan(OUTAGE_TO);
      expect(f.windowEnd - f.windowStart).toBe(15 * MINUTE);
      expect(f.evidence.observedPerMinute).toBe(0);
      // The expectation is the day rate of the same hour on the two previous days.
      expect(f.evidence.expectedPerMinute).toBeGreaterThan(40);
      expect(f.evidence.expectedPerMinute).toBeLessThan(50);
      expect(f.evidence.z).toBeGreaterThanOrEqual(6);
    }
  });

  it('does not fire on the ordinary daily rise (5/min to 45/min at 07:00) once the seasonal baseline exists', async () => {
    // Apart from the outage, nothing on the third day: the 9x rise at 07:00 is what that hour looks like every day.
    const others = (await thirdDay()).filter((f) => !(f.evidence.change === 'drop' && f.windowStart >= OUTAGE_FROM && f.windowStart < OUTAGE_TO));
    expect(others).toEqual([]);
  });

  it('fires a drop against a ramping baseline, where a drop cannot reach the spike z-score', async () => {
    // Two hours ramping from 40/min to 60/min (a morning, no seasonal history): the spread is wide, so even a drop
    // to zero is only ~5 robust deviations below the expectation. dropMinZ (3), not minZ (6), applies.
    const from = T0 + 10 * HOUR;
    const orders = { api: 'orders', path: () => '/orders' };
    const ramp = [40, 47, 53, 60].flatMap((perMinute, i) => background({ from: from + i * 30 * MINUTE, to: from + (i + 1) * 30 * MINUTE, perMinute, seed: 5 + i, ...orders }));
    const events = [
      ...ramp,
      ...background({ from, to: from + 3 * HOUR, perMinute: 25, api: 'accounts', seed: 7 }),
      ...background({ from: from + 2 * HOUR + 20 * MINUTE, to: from + 3 * HOUR, perMinute: 60, seed: 9, ...orders }),
    ];
    const drops = (await run(events, 200)).filter((f) => f.evidence.change === 'drop');
    expect(drops.length).toBeGreaterThan(0);
    for (const f of drops) {
      expect(f.windowStart).toBeGreaterThanOrEqual(from + 2 * HOUR);
      expect(f.windowStart).toBeLessThan(from + 2 * HOUR + 20 * MINUTE);
      expect(f.evidence.observedPerMinute).toBe(0);
      expect(f.evidence.z).toBeLessThan(6);
      expect(f.evidence.z).toBeGreaterThanOrEqual(3);
    }
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

    it('does not take a quiet minute for a drop: it is judged against the latest hour (32/min), not the median (36/min)', async () => {
      // 7 calls in the minute from NEXT + 20 min: at most 0.2 x 36 (and ~4.8 deviations below it), not 0.2 x 32.
      const minute = NEXT + 20 * MINUTE;
      let kept = 0;
      const events = evening((t) => t >= minute && t < minute + MINUTE && kept++ >= 7);
      expect(events.filter((e) => e.api === 'orders' && e.timestamp >= minute && e.timestamp < minute + MINUTE)).toHaveLength(7);
      expect((await run(events, 200)).filter((f) => f.evidence.change === 'drop')).toEqual([]);
    });

    it('still fires on an outage, against the latest hour', async () => {
      const drops = (await run(evening((t) => t >= NEXT + 20 * MINUTE && t < NEXT + 30 * MINUTE), 200)).filter((f) => f.evidence.change === 'drop');
      expect(drops).toHaveLength(1);
      expect(drops[0]!.evidence).toMatchObject({ observedPerMinute: 0, baselineKind: 'recent' });
      expect(drops[0]!.evidence.expectedPerMinute).toBeGreaterThan(30);
      expect(drops[0]!.evidence.expectedPerMinute).toBeLessThan(34);
      expect(drops[0]!.description).toContain('the lower of their median and the latest hour');
    });
  });

  it('fires a medium spike against the seasonal baseline (a 4x surge in a busy hour on the third day)', async () => {
    const events = seasonalDays();
    const surgeFrom = DAY3 + 6 * HOUR + 20 * MINUTE;
    const provider = { api: 'payments-provider', direction: 'outbound' as const, path: () => '/v1/charges' };
    events.push(...background({ from: surgeFrom, to: surgeFrom + 5 * MINUTE, perMinute: 40, seed: 77, ...provider }));
    const spikes = (await run(events, 200)).filter((f) => f.evidence.change === 'spike');
    expect(spikes.length).toBeGreaterThan(0);
    for (const f of spikes) {
      expect(f.evidence.baselineKind).toBe('seasonal');
      // 5/min is what 06:xx looks like; 45/min is 9x: medium (high from 10x).
      expect(f.severity).toBe('medium');
      expect(f.windowStart).toBeGreaterThanOrEqual(DAY3 + 6 * HOUR + 15 * MINUTE);
      expect(f.windowStart).toBeLessThan(surgeFrom + 5 * MINUTE);
    }
  });

  it('finds the same drops when one batch spans 40 minutes and an hour boundary (a backlog) as in small batches', async () => {
    // 3,000 events are about 43 minutes of the third day: every minute still closes, each judged against its own hour.
    const small = (await thirdDay()).map((f) => f.id).sort();
    const large = (await run(seasonalDays(), 3000)).filter((f) => f.windowStart >= DAY3);
    expect(small.length).toBeGreaterThan(0);
    expect(large.map((f) => f.id).sort()).toEqual(small);
    expect(large.every((f) => f.evidence.change === 'drop' && f.evidence.baselineKind === 'seasonal')).toBe(true);
  });

  it.each([
    // Without seasonal history a spike is only a first doubt (low): a daily ramp looks the same.
    { name: '6x spike', extraPerMinute: 50, severity: 'low', minRatio: 5, maxRatio: 7.5 },
    { name: '12x spike', extraPerMinute: 110, severity: 'low', minRatio: 10, maxRatio: 14 },
  ])('reports a $name of an inbound api with only recent history, at low severity', async ({ extraPerMinute, severity, minRatio, maxRatio }) => {
    // Two hours of history (the recent baseline), then a 10-minute spike.
    const spikeFrom = T0 + 2 * HOUR + 10 * MINUTE;
    const events = [
      ...background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 10, seed: 1 }),
      ...background({ from: spikeFrom, to: spikeFrom + 10 * MINUTE, perMinute: extraPerMinute, seed: 2 }),
    ];
    const findings = await run(events);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.length).toBeLessThanOrEqual(2);
    for (const f of findings) {
      expect(f.subject).toEqual({ kind: 'api', value: 'accounts' });
      expect(f.evidence.change).toBe('spike');
      expect(f.evidence.baselineKind).toBe('recent');
      expect(f.severity).toBe(severity);
      expect(f.owasp).toBe('API4:2023');
      expect(f.evidence.ratio).toBeGreaterThanOrEqual(minRatio);
      expect(f.evidence.ratio).toBeLessThanOrEqual(maxRatio);
      expect(f.windowStart).toBeGreaterThanOrEqual(T0 + 2 * HOUR);
      expect(f.windowStart).toBeLessThan(spikeFrom + 10 * MINUTE);
      expect(f.eventIds.length).toBeGreaterThan(0);
    }
  });

  it.each([
    { name: 'steady background traffic for three hours', events: () => background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 3 }) },
    {
      // 10/min is below minExpectedPerMinute: a quiet api going silent says little.
      name: 'a low-volume api going silent',
      events: () => [
        ...background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 4 }),
        ...background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 10, api: 'search', seed: 5 }),
      ],
    },
    {
      name: 'a 2x rise (below the spike ratio)',
      events: () => [
        ...background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 6 }),
        ...background({ from: T0 + 2 * HOUR, to: T0 + 2 * HOUR + 20 * MINUTE, perMinute: 20, seed: 7 }),
      ],
    },
  ])('does not fire on $name', async ({ events }) => {
    expect(await run(events())).toEqual([]);
  });
});
