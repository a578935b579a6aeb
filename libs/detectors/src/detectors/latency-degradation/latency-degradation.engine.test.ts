import type { ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, latest, only } from '../../testing.js';
import { latencyDegradation } from './index.js';

// Batches of 60 events (3 minutes at 20/min): the route window is judged at the end of each batch.
const run = (events: ApiTransaction[]) => detect(events, { detectors: [latencyDegradation], batchSize: 60 }).then((f) => only(f, 'latency_degradation'));

const CREEP_FROM = T0 + 3 * HOUR;

/** Calls to the provider `payments-provider` POST /v1/charges, 20/min unless told, with `latency(t, r)` in ms. */
function provider(to: number, latency: (t: number, r: () => number) => number, perMinute = 20): ApiTransaction[] {
  return background({
    from: T0,
    to,
    perMinute,
    api: 'payments-provider',
    direction: 'outbound',
    path: () => '/v1/charges',
    seed: 21,
    shape: (e, r) => ({ ...e, method: 'POST', principal: undefined, clientIp: undefined, latencyMs: latency(e.timestamp, r) }),
  });
}

/** ~100 ms with ±15% jitter. */
const normal = (r: () => number) => 100 * (0.85 + 0.3 * r());

describe('latency_degradation', () => {
  it('fires when an outbound provider creeps from ~100 ms to 3x over an hour after three normal hours', async () => {
    const events = provider(CREEP_FROM + HOUR, (t, r) => normal(r) * (t < CREEP_FROM ? 1 : 1 + (2 * (t - CREEP_FROM)) / HOUR));
    const findings = latest(await run(events));
    // One episode: revised as it worsened, extended while it lasted.
    expect(findings).toHaveLength(1);
    for (const f of findings) {
      expect(f.api).toBe('payments-provider');
      expect(f.subject).toEqual({ kind: 'route', value: '/v1/charges' });
      expect(f.evidence.direction).toBe('outbound');
      expect(f.severity).toBe('medium');
      expect(f.windowStart).toBeGreaterThanOrEqual(CREEP_FROM);
      expect(f.windowEnd).toBeGreaterThan(f.windowStart + 15 * MINUTE);
      // Measured against the normal hours, not against the creeping current hour.
      expect(f.evidence.baselineP95Ms).toBeGreaterThan(90);
      expect(f.evidence.baselineP95Ms).toBeLessThan(130);
      expect(f.evidence.ratio).toBeGreaterThanOrEqual(2);
      expect(f.evidence.ratio).toBeLessThan(4);
      expect(Number(f.evidence.observedP95Ms) - Number(f.evidence.baselineP95Ms)).toBeGreaterThanOrEqual(50);
      expect(f.evidence.requests).toBeGreaterThanOrEqual(30);
    }
  });

  it('finds a slow creep from 1x to 3x over six hours after ten normal ones: the median of the baseline hours stays where the route used to be', async () => {
    const [from, rise] = [T0 + 10 * HOUR, 6 * HOUR];
    const events = provider(from + rise, (t, r) => normal(r) * (t < from ? 1 : 1 + (2 * (t - from)) / rise), 10);
    const [f, ...rest] = latest(await run(events));
    expect(rest).toEqual([]);
    expect(f!.evidence.baselineP95Ms).toBeLessThan(130);
    expect(f!.windowStart).toBeGreaterThan(from + 90 * MINUTE);
    expect(f!.windowStart).toBeLessThan(from + 4 * HOUR);
    expect(f!.windowEnd).toBeGreaterThan(from + 5 * HOUR);
  });

  it('fires high when the provider jumps to 8x', async () => {
    const jumpAt = CREEP_FROM + 10 * MINUTE;
    const findings = latest(await run(provider(jumpAt + 10 * MINUTE, (t, r) => normal(r) * (t < jumpAt ? 1 : 8))));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.severity).toBe('high');
    expect(findings[0]!.evidence.ratio).toBeGreaterThanOrEqual(4);
    // The route's 5-minute window that first held the jump.
    expect(findings[0]!.windowStart).toBeGreaterThan(jumpAt - 5 * MINUTE);
    expect(findings[0]!.windowStart).toBeLessThanOrEqual(jumpAt);
  });

  it.each([
    { name: 'plain background traffic for three hours', events: () => background({ from: T0, to: T0 + 3 * HOUR, perMinute: 20, seed: 22 }) },
    {
      // Heavy but stationary jitter: 60–160 ms, with one call in fifty at 250 ms.
      name: 'a provider with normal jitter for four hours',
      events: () => provider(T0 + 4 * HOUR, (_t, r) => (r() < 0.02 ? 250 : 100 * (0.6 + r()))),
    },
    {
      name: 'a single 5-second call',
      events: () => provider(T0 + 4 * HOUR, (t, r) => (Math.abs(t - (T0 + 3.5 * HOUR)) < 1500 ? 5000 : normal(r))),
    },
    {
      // A jump in the second hour: the baseline holds one hour, fewer than warmupHours.
      name: 'a jump while the baseline warms up',
      events: () => provider(T0 + HOUR + 30 * MINUTE, (t, r) => normal(r) * (t < T0 + HOUR + 10 * MINUTE ? 1 : 8)),
    },
  ])('does not fire on $name', async ({ events }) => {
    expect(await run(events())).toEqual([]);
  });

  describe('on a quiet route (7 calls a minute: ~35 in the 5-minute window, whose p95 is its second slowest call)', () => {
    const SLOW_AT = CREEP_FROM + 30 * MINUTE;
    // Batches of 7 events (a minute): the window is judged as often as a live detector judges it.
    const quiet = (slow: (t: number, r: () => number) => boolean, config?: Record<string, unknown>) =>
      detect(
        provider(SLOW_AT + 10 * MINUTE, (t, r) => normal(r) * (slow(t, r) ? 3 : 1), 7),
        { detectors: [latencyDegradation], batchSize: 7, config },
      ).then((f) => only(f, 'latency_degradation'));
    // The two calls of the 17 seconds from SLOW_AT (one every ~8.6 s) take 3x.
    const twoOutliers = (t: number) => t >= SLOW_AT && t < SLOW_AT + 17_000;

    it('does not fire on two slow calls', async () => {
      expect(await quiet(twoOutliers)).toEqual([]);
      // They do move the window's p95 past 2x: with minSlowRequests 1 the same traffic fires.
      const loose = await quiet(twoOutliers, { latency_degradation: { minSlowRequests: 1 } });
      expect(loose).toHaveLength(1);
      expect(loose[0]!.evidence.slowRequests).toBe(2);
    });

    it('fires when a fifth of its calls take 3x', async () => {
      const findings = await quiet((t, r) => t >= SLOW_AT && r() < 0.2);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.evidence.ratio).toBeGreaterThanOrEqual(2);
      expect(findings[0]!.evidence.slowRequests).toBeGreaterThanOrEqual(5);
      expect(findings[0]!.description).toMatch(/\(\d+ of them at about \d+ ms or slower\)/);
    });
  });
});
