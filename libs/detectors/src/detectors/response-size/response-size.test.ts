import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { CONTEXT_NOW, routeStats, routeWindow, runDetector, subjectWindow, tx } from '../../testing.js';
import type { RouteWindow, SubjectWindow } from '../../types.js';
import { HOUR, MINUTE } from '../../units.js';
import { responseSize } from './index.js';

/** response_size over hand-built contexts (contextFor): a route's mean response size, and a principal's bytes in 5 minutes. */
const MiB = 1024 * 1024;
const ROUTE = '/users/{id}';
const bob = { kind: 'principal', value: 'bob' } as const;

/** The route's window: `responses` responses of `bytes`, against 24 hours (by default) of 14,400 responses of `baselineBytes`. */
function sizedRoute(bytes: number, baselineBytes: number, o: { responses?: number; baselineResponses?: number; hours?: number } = {}): RouteWindow {
  const hours = o.hours ?? 24;
  return routeWindow({
    route: ROUTE,
    current: routeStats({ calls: o.responses ?? 50, bytes }),
    baseline: { ...routeStats({ calls: o.baselineResponses ?? 14_400, bytes: baselineBytes }), hours, firstSeenAt: CONTEXT_NOW - hours * HOUR, hourLatencyQuantiles: [] },
  });
}

/** A principal that received `bytes` in its 5 minutes, against `baseline` bytes per 5 minutes over the previous hour. */
const reader = (bytes: number, baseline: number | undefined, o: Partial<SubjectWindow> = {}) =>
  subjectWindow({ subject: bob, n: 40, bytesSum: bytes, baselineBytesPer5m: baseline, distinctRoutes: 3, samplePaths: ['/exports/1', '/exports/2'], ...o });

const onRoute = (r: RouteWindow, config?: Record<string, unknown>) => runDetector(responseSize, { routes: [r], config });
const forReader = (s: SubjectWindow, config?: Record<string, unknown>) => runDetector(responseSize, { subjects: [s], config });

describe('response_size (contextFor)', () => {
  describe('route', () => {
    it('flags responses averaging 10 kB against 2 kB (5x, medium), with its evidence', () => {
      const [f, ...rest] = onRoute(sizedRoute(10_000, 2_000));
      expect(rest).toEqual([]);
      expect(f).toMatchObject({
        detector: 'response_size',
        severity: 'medium',
        api: 'accounts',
        route: ROUTE,
        subject: { kind: 'route', value: ROUTE },
        windowStart: CONTEXT_NOW - 15 * MINUTE,
        windowEnd: CONTEXT_NOW,
        owasp: 'API3:2023',
      });
      expect(f!.evidence).toEqual({
        observedMeanBytes: 10_000,
        baselineMeanBytes: 2_000,
        ratio: 5,
        requests: 50,
        bytes: 500_000,
        baselineRequests: 14_400,
        baselineHours: 24,
        direction: 'inbound',
        windowMinutes: 5,
      });
      // 0.5 + 0.49 x (5 - 4) / (16 - 4)
      expect(f!.confidence).toBe(0.541);
      expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
    });

    it.each([
      ['a mean of exactly 4x the baseline', sizedRoute(8_000, 2_000), 1],
      ['a mean just under 4x', sizedRoute(7_999, 2_000), 0],
      ['19 responses in the window', sizedRoute(10_000, 2_000, { responses: 19 }), 0],
      ['20 responses in the window', sizedRoute(10_000, 2_000, { responses: 20 }), 1],
      ['19 responses in the baseline', sizedRoute(10_000, 2_000, { baselineResponses: 19 }), 0],
      ['20 responses in the baseline', sizedRoute(10_000, 2_000, { baselineResponses: 20 }), 1],
      ['a baseline of empty responses', sizedRoute(10_000, 0), 0],
      ['1 hour of baseline (warming up)', sizedRoute(10_000, 2_000, { hours: 1 }), 0],
    ])('thresholds: %s', (_, r, findings) => {
      expect(onRoute(r)).toHaveLength(findings);
    });

    it('follows its config', () => {
      expect(onRoute(sizedRoute(10_000, 2_000), { response_size: { minRatio: 6 } })).toEqual([]);
      expect(onRoute(sizedRoute(10_000, 2_000, { responses: 10 }), { response_size: { minRequests: 10 } })).toHaveLength(1);
      expect(onRoute(sizedRoute(10_000, 2_000, { hours: 1 }), { warmupHours: 1 })).toHaveLength(1);
      expect(onRoute(sizedRoute(10_000, 2_000), { response_size: { severity: 'high' } })[0]?.severity).toBe('high');
    });

    it("lists the batch's responses on the route of minRatio x the baseline mean or more, largest first", () => {
      const at = CONTEXT_NOW - MINUTE;
      const events = [
        tx({ id: 'big', path: '/users/1', responseBytes: 9_000, timestamp: at }),
        tx({ id: 'usual', path: '/users/2', responseBytes: 7_999, timestamp: at }), // under 4 x 2,000
        tx({ id: 'bigger', path: '/users/3', responseBytes: 40_000, timestamp: at }),
        tx({ id: 'other-route', path: '/orders/3', responseBytes: 40_000, timestamp: at }),
      ];
      const [f] = runDetector(responseSize, { routes: [sizedRoute(10_000, 2_000)], events });
      expect(f!.eventIds).toEqual(['bigger', 'big']);
    });
  });

  describe('principal', () => {
    it('flags a principal that received 40 MiB in 5 minutes against 1 MiB usually (40x, medium), with its evidence', () => {
      const [f, ...rest] = forReader(reader(40 * MiB, MiB));
      expect(rest).toEqual([]);
      // The subject's own 5 minutes (the engine makes the episode of overlapping ones one finding).
      expect(f).toMatchObject({ detector: 'response_size', severity: 'medium', api: 'accounts', subject: bob, windowStart: CONTEXT_NOW, windowEnd: CONTEXT_NOW + 5 * MINUTE, owasp: 'API3:2023' });
      expect(f).not.toHaveProperty('route');
      expect(f!.evidence).toEqual({
        bytes: 40 * MiB,
        largestResponseBytes: 0,
        requests: 40,
        observedMeanBytes: MiB,
        distinctRoutes: 3,
        samplePaths: '/exports/1 /exports/2',
        windowStart5m: new Date(CONTEXT_NOW).toISOString(),
        baselineBytesPer5m: MiB,
        ratio: 40,
      });
      // 0.5 + 0.49 x (40 - 20) / (100 - 20)
      expect(f!.confidence).toBe(0.623);
    });

    it('leaves out its largest single response: one download of a big file is large_response\'s, two are a pull', () => {
      expect(forReader(reader(53 * MiB, 0.1 * MiB, { n: 12, largestBytes: 52 * MiB }))).toEqual([]);
      const [f] = forReader(reader(105 * MiB, 0.1 * MiB, { n: 13, largestBytes: 52 * MiB }));
      expect(f!.evidence).toMatchObject({ bytes: 53 * MiB, largestResponseBytes: 52 * MiB, ratio: 530 });
    });

    it.each([
      ['100x its usual rate: high', reader(100 * MiB, MiB), 'high'],
      ['99x: medium', reader(99 * MiB, MiB), 'medium'],
      ['exactly 20x with 30 MiB', reader(30 * MiB, 1.5 * MiB), 'medium'],
      ['18.75x with 30 MiB', reader(30 * MiB, 1.6 * MiB), undefined],
      ['exactly principalMinBytes (20 MiB) at 20x', reader(20 * MiB, MiB), 'medium'],
      ['one byte under 20 MiB, at 40x', reader(20 * MiB - 1, 0.5 * MiB), undefined],
      ['no history: 100 MiB', reader(100 * MiB, undefined), 'medium'],
      ['no history: one byte under 100 MiB', reader(100 * MiB - 1, undefined), undefined],
      ['a zero byte rate counts as no history: 100 MiB', reader(100 * MiB, 0), 'medium'],
      ['an IP, not a principal', reader(100 * MiB, MiB, { subject: { kind: 'ip', value: '203.0.113.9' } }), undefined],
    ])('%s', (_, s, severity) => {
      expect(forReader(s)[0]?.severity).toBe(severity);
    });

    it('leaves the ratio out of the evidence without history', () => {
      const [f] = forReader(reader(100 * MiB, undefined));
      expect(f!.evidence).toMatchObject({ bytes: 100 * MiB });
      expect(f!.evidence).not.toHaveProperty('ratio');
      expect(f!.evidence).not.toHaveProperty('baselineBytesPer5m');
      expect(f!.confidence).toBe(0.5);
    });

    it('follows its config', () => {
      expect(forReader(reader(40 * MiB, MiB), { response_size: { principalMinBytes: 50 * MiB } })).toEqual([]);
      expect(forReader(reader(40 * MiB, MiB), { response_size: { principalMinRatio: 41 } })).toEqual([]);
      expect(forReader(reader(40 * MiB, MiB), { response_size: { principalHighRatio: 40 } })[0]?.severity).toBe('high');
      expect(forReader(reader(30 * MiB, undefined), { response_size: { principalMinBytes: 6 * MiB } })).toHaveLength(1); // 5 x 6 MiB without history
    });
  });
});
