import type { ApiTransaction, Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, only } from '../../testing.js';
import { errorRate } from './index.js';

// Batches of 60 events (3 minutes at 20/min): the route window is judged at the end of each batch.
const run = (events: ApiTransaction[], config?: Record<string, unknown>) =>
  detect(events, { detectors: [errorRate], batchSize: 60, config }).then((f) => only(f, 'error_rate'));

const SURGE_FROM = T0 + 2 * HOUR;

/** Two hours of ordinary traffic on /accounts/{id} (about 1% 500s), then `minutes` more where `status` decides. */
function withSurge(status: (r: () => number) => number, from = SURGE_FROM, minutes = 10): ApiTransaction[] {
  return background({
    from: T0,
    to: from + minutes * MINUTE,
    perMinute: 20,
    seed: 11,
    shape: (e, r) => (e.timestamp >= from ? { ...e, status: status(r) } : e),
  });
}

describe('error_rate', () => {
  it.each([
    { name: '40% of 503s for 10 minutes', failing: 0.4, status: 503, minutes: 10, config: undefined },
    { name: '40% of 404s for 10 minutes, with include4xx', failing: 0.4, status: 404, minutes: 10, config: { error_rate: { include4xx: true } } },
  ])('fires on a surge of $name on a route with a ~1% baseline', async ({ failing, status, minutes, config }) => {
    const findings = await run(withSurge((r) => (r() < failing ? status : 200), SURGE_FROM, minutes), config);
    // The surge sits in one aligned 15-minute span: one finding, not one per batch.
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'route', value: '/accounts/{id}' });
    expect(f.route).toBe('/accounts/{id}');
    expect(f.api).toBe('accounts');
    expect(f.severity).toBe('medium');
    expect(f.windowStart).toBe(SURGE_FROM);
    expect(f.windowEnd).toBe(SURGE_FROM + 15 * MINUTE);
    // Reported as soon as the rise is significant, so the share may still be climbing towards the surge's.
    expect(f.evidence.errorShare).toBeGreaterThanOrEqual(0.15);
    expect(f.evidence.errorShare).toBeLessThan(failing + 0.15);
    // ~1% 500s in the background (plus ~2% 404s when 4xx count).
    expect(f.evidence.baselineShare).toBeLessThan(config ? 0.05 : 0.02);
    expect(f.evidence.z).toBeGreaterThanOrEqual(5);
    expect(f.evidence.errors).toBe(Math.round(Number(f.evidence.errorShare) * Number(f.evidence.requests)));
    expect(f.eventIds.length).toBeGreaterThan(0);
  });

  it('reports a sustained surge of 70% once per 15-minute span, raised to high once the window is full of it', async () => {
    const findings = await run(withSurge((r) => (r() < 0.7 ? 502 : 200), SURGE_FROM, 25));
    // Medium when the rise first becomes significant; raised within the same span as the window fills (publication.ts).
    expect(findings.map((f) => [(f.windowStart - SURGE_FROM) / MINUTE, f.severity])).toEqual([
      [0, 'medium'],
      [0, 'high'],
      [15, 'high'],
    ]);
    const [first, raised, next] = findings as [Finding, Finding, Finding];
    expect(raised.id).toBe(`${first.id}-high`);
    expect(raised.evidence.raisedFrom).toBe('medium');
    expect(raised.evidence.errorShare).toBeGreaterThan(0.55);
    expect(raised.detectedAt).toBeLessThan(SURGE_FROM + 15 * MINUTE);
    expect(next.evidence.errorShare).toBeGreaterThan(0.55);
    expect(next.evidence.raisedFrom).toBeUndefined();
  });

  it.each([
    { name: 'plain background traffic for two and a half hours', events: () => background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 20, seed: 12 }) },
    {
      name: 'a route with a steady 3% error rate',
      events: () => background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 20, seed: 13, shape: (e, r) => ({ ...e, status: r() < 0.03 ? 500 : 200 }) }),
    },
    {
      // 40/min: the 5-minute window holds 200 calls, 3 of which fail.
      name: 'a handful of 500s (3 in a window of 200) on a route that never fails',
      events: () =>
        background({ from: T0, to: T0 + 2.2 * HOUR, perMinute: 40, seed: 14, shape: (e, _r, i) => ({ ...e, status: e.timestamp >= T0 + 2.1 * HOUR && i % 70 === 0 ? 500 : 200 }) }),
    },
    {
      name: '404s while 4xx are not counted (the default)',
      events: () => withSurge((r) => (r() < 0.4 ? 404 : 200)),
    },
    {
      // A surge in the second hour: the baseline holds one hour, fewer than warmupHours.
      name: 'a surge while the baseline warms up',
      events: () => withSurge((r) => (r() < 0.4 ? 503 : 200), T0 + HOUR + 20 * MINUTE).filter((e) => e.timestamp < T0 + HOUR + 30 * MINUTE),
    },
  ])('does not fire on $name', async ({ events }) => {
    expect(await run(events())).toEqual([]);
  });
});
