import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { CONTEXT_NOW, routeStats, routeWindow, runDetector, tx } from '../../testing.js';
import { addInto } from '../../stats.js';
import type { RouteStats, RouteWindow } from '../../types.js';
import { HOUR, MINUTE } from '../../units.js';
import { latencyDegradation } from './index.js';

/**
 * latency_degradation over hand-built route windows (contextFor). Latencies are binned in half powers of two and a
 * quantile reports its bin's value 2^((bin + 0.5) / 2 - 1): 32 ms → 2^5.25 = 38.05 ms, 100 ms → 2^6.75 = 107.63 ms,
 * 128 and 150 ms → 2^7.25, 300 ms → 2^8.25. So ratios of reported quantiles are powers of 2^0.5.
 */
const ROUTE = '/users/{id}';
const span = { windowStart: CONTEXT_NOW - 5 * MINUTE, windowEnd: CONTEXT_NOW }; // the route's window (the engine makes overlapping ones one episode)

/** Window counters of calls at different latencies: `[calls, latencyMs]` pairs. */
function calls(...groups: [number, number][]): RouteStats {
  const total = routeStats({ calls: 0 });
  for (const [n, latencyMs] of groups) {
    const s = routeStats({ calls: n, latencyMs });
    total.n += s.n;
    total.latencySumMs += s.latencySumMs;
    addInto(total.latencyBins, s.latencyBins);
  }
  return total;
}

/** The route's window against 24 hours (by default) of 14,400 calls at `baselineMs`. */
function route(current: RouteStats, baselineMs: number, o: { baselineCalls?: number; hours?: number } & Partial<RouteWindow> = {}): RouteWindow {
  const { baselineCalls, hours = 24, ...rest } = o;
  return routeWindow({ route: ROUTE, current, baseline: { ...routeStats({ calls: baselineCalls ?? 14_400, latencyMs: baselineMs }), hours, firstSeenAt: CONTEXT_NOW - hours * HOUR, hourLatencyQuantiles: [] }, ...rest });
}

const run = (r: RouteWindow, config?: Record<string, unknown>) => runDetector(latencyDegradation, { routes: [r], config });
const severityOf = (r: RouteWindow, config?: Record<string, unknown>) => run(r, config)[0]?.severity;

describe('latency_degradation (contextFor)', () => {
  it('flags a p95 of 107.6 ms against 38.1 ms (2.83x, medium), with its evidence', () => {
    const [f, ...rest] = run(route(calls([100, 100]), 32));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'latency_degradation', severity: 'medium', api: 'accounts', route: ROUTE, subject: { kind: 'route', value: ROUTE }, ...span });
    expect(f).not.toHaveProperty('owasp');
    expect(f!.evidence).toEqual({
      observedP95Ms: 107.6, // 2^6.75
      baselineP95Ms: 38.1, // 2^5.25
      ratio: 2.828, // 2^1.5
      increaseMs: 69.6,
      meanMs: 100,
      baselineMeanMs: 32,
      requests: 100,
      slowRequests: 100,
      baselineRequests: 14_400,
      baselineHours: 24,
      quantile: 0.95,
      direction: 'inbound',
      windowMinutes: 5,
    });
    // 0.5 + 0.49 x (2.828 - 2) / (8 - 2)
    expect(f!.confidence).toBe(0.568);
    expect(f!.eventIds).toEqual(['e-1']);
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it.each([
    ['2^1.5 = 2.83x: medium', calls([100, 100]), 32, 'medium'],
    ['2^2 = 4x (highRatio): high', calls([100, 150]), 32, 'high'],
    ['2^3 = 8x: high', calls([100, 300]), 32, 'high'],
    ['2x (minRatio), 152 ms more: medium', calls([100, 300]), 128, 'medium'],
    ['1.41x: nothing', calls([100, 200]), 128, undefined],
    ['2x but only 19 ms more (under minIncreaseMs): nothing', calls([100, 45]), 16, undefined],
    ['2.83x but only 34.8 ms more: nothing', calls([100, 50]), 16, undefined],
  ])('%s', (_, current, baselineMs, severity) => {
    expect(severityOf(route(current, baselineMs))).toBe(severity);
  });

  it('needs minRequests calls in the window and in the baseline', () => {
    expect(run(route(calls([29, 300]), 32))).toEqual([]);
    expect(run(route(calls([30, 300]), 32))).toHaveLength(1);
    expect(run(route(calls([100, 300]), 32, { baselineCalls: 29 }))).toEqual([]);
    expect(run(route(calls([100, 300]), 32, { baselineCalls: 30 }))).toHaveLength(1);
  });

  it('needs minSlowRequests calls as slow as the quantile, not a few outliers', () => {
    // 40 calls: the p95 (the 38th) falls in the slow bin as soon as 3 calls are slow.
    expect(run(route(calls([36, 32], [4, 300]), 32))).toEqual([]);
    const [f] = run(route(calls([35, 32], [5, 300]), 32));
    expect(f!.evidence).toMatchObject({ observedP95Ms: 304.4, baselineP95Ms: 38.1, ratio: 8, slowRequests: 5, requests: 40 });
    // 100 calls with 5 slow: the p95 is the 95th call, still fast.
    expect(run(route(calls([95, 32], [5, 300]), 32))).toEqual([]);
  });

  it('stays quiet while the baseline warms up', () => {
    expect(run(route(calls([100, 300]), 32, { hours: 1 }))).toEqual([]);
    expect(run(route(calls([100, 300]), 32, { hours: 1 }), { warmupHours: 1 })).toHaveLength(1);
  });

  it('follows its config', () => {
    expect(run(route(calls([100, 50]), 16), { latency_degradation: { minIncreaseMs: 30 } })).toHaveLength(1);
    expect(run(route(calls([100, 100]), 32), { latency_degradation: { minRatio: 3 } })).toEqual([]);
    expect(run(route(calls([100, 100]), 32), { latency_degradation: { minRequests: 101 } })).toEqual([]);
    expect(run(route(calls([35, 32], [5, 300]), 32), { latency_degradation: { minSlowRequests: 6 } })).toEqual([]);
    expect(severityOf(route(calls([100, 100]), 32), { latency_degradation: { highRatio: 2.5 } })).toBe('high');
    expect(severityOf(route(calls([100, 100]), 32), { latency_degradation: { severity: 'low' } })).toBe('low');
    // findingWindowMinutes of older config files: refused, with what replaced it.
    expect(() => run(route(calls([100, 100]), 32), { latency_degradation: { findingWindowMinutes: 60 } })).toThrow(/no longer used: a degradation is one finding per episode, extended while it lasts; remove it.*findingWindowMinutes/s);
  });

  it('names the evidence after the configured quantile', () => {
    const [f] = run(route(calls([100, 100]), 32), { latency_degradation: { quantile: 0.5 } });
    expect(f!.evidence).toMatchObject({ observedP50Ms: 107.6, baselineP50Ms: 38.1, quantile: 0.5 });
    expect(f!.evidence).not.toHaveProperty('observedP95Ms');
  });

  it("lists the batch's calls on the route at minRatio x the baseline quantile or slower, slowest first", () => {
    const at = CONTEXT_NOW - MINUTE;
    const events = [
      tx({ id: 'slow-a', path: '/users/1', latencyMs: 400, timestamp: at }),
      tx({ id: 'fast', path: '/users/2', latencyMs: 50, timestamp: at }), // under 2 x 38.05 ms
      tx({ id: 'slow-b', path: '/users/3', latencyMs: 900, timestamp: at }),
      tx({ id: 'other-route', path: '/orders/3', latencyMs: 900, timestamp: at }),
    ];
    const [f] = runDetector(latencyDegradation, { routes: [route(calls([100, 300]), 32)], events });
    expect(f!.eventIds).toEqual(['slow-b', 'slow-a']);
  });

  it('judges outbound provider routes the same way', () => {
    const [f] = run(route(calls([100, 300]), 32, { api: 'stripe', direction: 'outbound', route: '/v1/charges' }));
    expect(f).toMatchObject({ api: 'stripe', route: '/v1/charges', severity: 'high' });
    expect(f!.evidence.direction).toBe('outbound');
    expect(f!.title).toMatch(/^Provider stripe \/v1\/charges/);
  });
});
