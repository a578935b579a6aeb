import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { CONTEXT_NOW, routeStats, routeWindow, runDetector, tx } from '../../testing.js';
import type { RouteWindow } from '../../types.js';
import { HOUR, MINUTE } from '../../units.js';
import { errorRate } from './index.js';

/** error_rate over hand-built route windows (contextFor): the last 5 minutes of a route against its previous hours. */
const ROUTE = '/users/{id}';
const span = { windowStart: CONTEXT_NOW - 15 * MINUTE, windowEnd: CONTEXT_NOW }; // the 15-min span the window ends in

/** A route whose window had `calls` calls with `e5` 5xx (and `e4` 4xx), over 24 hours of 14,400 calls with `baselineE5` 5xx. */
function route(calls: number, e5: number, o: { e4?: number; baselineE5?: number; baselineE4?: number; hours?: number } = {}): RouteWindow {
  const hours = o.hours ?? 24;
  return routeWindow({
    route: ROUTE,
    current: routeStats({ calls, e5, e4: o.e4 ?? 0 }),
    baseline: { ...routeStats({ calls: 600 * hours, e5: o.baselineE5 ?? 0, e4: o.baselineE4 ?? 0 }), hours, firstSeenAt: CONTEXT_NOW - hours * HOUR, hourLatencyQuantiles: [] },
  });
}

const run = (r: RouteWindow, config?: Record<string, unknown>) => runDetector(errorRate, { routes: [r], config });

describe('error_rate (contextFor)', () => {
  it('flags 20% 5xx on 100 calls against a 1% baseline (medium), with its evidence', () => {
    const [f, ...rest] = run(route(100, 20, { baselineE5: 144 }));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'error_rate', severity: 'medium', api: 'accounts', route: ROUTE, subject: { kind: 'route', value: ROUTE }, ...span });
    expect(f).not.toHaveProperty('owasp');
    expect(f!.evidence).toEqual({
      errorShare: 0.2,
      baselineShare: 0.01,
      requests: 100,
      errors: 20,
      errors5xx: 20,
      errors4xx: 0,
      baselineRequests: 14_400,
      baselineHours: 24,
      z: 19.1, // (0.2 - 0.01) / sqrt(0.01 x 0.99 / 100) = 19.096
      statusClass: '5xx',
      direction: 'inbound',
      windowMinutes: 5,
    });
    expect(f!.eventIds).toEqual(['e-1']); // no failing event in the batch: the route's sample
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('is high from highShare (50%)', () => {
    expect(run(route(100, 50))[0]?.severity).toBe('high');
    expect(run(route(100, 49))[0]?.severity).toBe('medium');
    expect(run(route(100, 40), { error_rate: { highShare: 0.4 } })[0]?.severity).toBe('high');
    expect(run(route(100, 40), { error_rate: { severity: 'critical' } })[0]?.severity).toBe('critical');
  });

  it.each([
    ['29 calls, all failing (under minRequests)', route(29, 29), 0],
    ['30 calls, all failing', route(30, 30), 1],
    ['14% over a 0% baseline (rise under 15 points)', route(100, 14), 0],
    ['15% over a 0% baseline', route(100, 15), 1],
    // Over a 30% baseline, 30 calls: z = (share - 0.3) / sqrt(0.21 / 30).
    ['21 of 30 failing over a 30% baseline: z 4.78', route(30, 21, { baselineE5: 4320 }), 0],
    ['22 of 30 failing over a 30% baseline: z 5.18', route(30, 22, { baselineE5: 4320 }), 1],
  ])('thresholds: %s', (_, r, findings) => {
    expect(run(r)).toHaveLength(findings);
  });

  it('floors the baseline share at minBaselineShare in the z-score', () => {
    // 5 of 30 over a 0% baseline: with the 1% floor z = (0.1667 - 0.01) / sqrt(0.0099 / 30) = 8.62.
    const [f] = run(route(30, 5));
    expect(f!.evidence).toMatchObject({ baselineShare: 0, z: 8.62 });
    // With a 5% floor: (0.1667 - 0.05) / sqrt(0.0475 / 30) = 2.93, under minZ.
    expect(run(route(30, 5), { error_rate: { minBaselineShare: 0.05 } })).toEqual([]);
  });

  it('counts 4xx only with include4xx', () => {
    const clientErrors = route(100, 0, { e4: 20 });
    expect(run(clientErrors)).toEqual([]);
    const [f] = run(clientErrors, { error_rate: { include4xx: true } });
    expect(f!.evidence).toMatchObject({ statusClass: '4xx/5xx', errors: 20, errors4xx: 20, errors5xx: 0, errorShare: 0.2 });
    // The baseline's 4xx count too: 20% 4xx over a 10% 4xx baseline is a rise of 10 points only.
    expect(run(route(100, 0, { e4: 20, baselineE4: 1440 }), { error_rate: { include4xx: true } })).toEqual([]);
  });

  it('follows its thresholds in config', () => {
    expect(run(route(100, 20), { error_rate: { minShareIncrease: 0.25 } })).toEqual([]);
    expect(run(route(100, 20), { error_rate: { minRequests: 101 } })).toEqual([]);
    expect(run(route(30, 22, { baselineE5: 4320 }), { error_rate: { minZ: 6 } })).toEqual([]);
  });

  it('stays quiet while the baseline warms up (under warmupHours hours) or is empty', () => {
    expect(run(route(100, 50, { hours: 1 }))).toEqual([]);
    expect(run(route(100, 50, { hours: 1 }), { warmupHours: 1 })).toHaveLength(1);
    expect(run(routeWindow({ current: routeStats({ calls: 100, e5: 50 }), baseline: { ...routeStats({ calls: 0 }), hours: 24, firstSeenAt: undefined, hourLatencyQuantiles: [] } }))).toEqual([]);
  });

  it('aligns the finding to findingWindowMinutes spans, ending with the window', () => {
    const [f] = run(route(100, 50), { error_rate: { findingWindowMinutes: 60 } });
    expect(f).toMatchObject({ windowStart: CONTEXT_NOW - HOUR, windowEnd: CONTEXT_NOW });
  });

  it("lists the batch's failing events on the route as the finding's events", () => {
    const at = CONTEXT_NOW - MINUTE;
    const events = [
      tx({ id: 'fail-1', path: '/users/7', status: 503, timestamp: at }),
      tx({ id: 'ok-1', path: '/users/8', status: 200, timestamp: at }),
      tx({ id: 'other-route', path: '/orders/9', status: 500, timestamp: at }),
      tx({ id: 'fail-2', path: '/users/9', status: 500, timestamp: at }),
    ];
    const [f] = runDetector(errorRate, { routes: [route(100, 50)], events });
    expect(f!.eventIds).toEqual(['fail-1', 'fail-2']);
  });
});
