import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { CONTEXT_NOW, routeStats, routeWindow, runDetector, tx } from '../../testing.js';
import type { RouteWindow } from '../../types.js';
import { HOUR, MINUTE } from '../../units.js';
import { largeResponse } from './index.js';

/** large_response over hand-built contexts (contextFor): single responses of a batch against their route's size baseline. */
const MiB = 1024 * 1024;
const AT = CONTEXT_NOW - 2 * MINUTE;
/** The 10-minute window (default windowMs) of AT. */
const window = { windowStart: CONTEXT_NOW - 10 * MINUTE, windowEnd: CONTEXT_NOW };

/**
 * /users/{id} with a baseline of `responses` responses of `bytes` each. All in one size bin, so the baseline p99 is
 * that bin's value: 2^((bin + 0.5) / 2), 2^13.25 for 8 KiB (2^13) and 2^(k + 0.25) for any 2^k.
 */
function sizedRoute(bytes: number, o: { responses?: number; hours?: number; firstSeenAt?: number } = {}): RouteWindow {
  const hours = o.hours ?? 24;
  return routeWindow({ baseline: { ...routeStats({ calls: o.responses ?? 14_400, bytes }), hours, firstSeenAt: o.firstSeenAt ?? CONTEXT_NOW - hours * HOUR, hourLatencyQuantiles: [] } });
}

/** One response of `bytes` on /users/42 to mallory at AT. */
const response = (bytes: number, o: Partial<ApiTransaction> = {}) => tx({ path: '/users/42', responseBytes: bytes, principal: 'mallory', timestamp: AT, ...o });

const run = (events: ApiTransaction[], routes: RouteWindow[] = [sizedRoute(8192)], config?: Record<string, unknown>) => runDetector(largeResponse, { events, routes, config });

describe('large_response (contextFor)', () => {
  it('flags a 2 MiB response on a route whose p99 is 9.5 KiB (215x, high), with its evidence', () => {
    const [f, ...rest] = run([response(2 * MiB, { id: 'big-1' }), response(4000)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'large_response', severity: 'high', api: 'accounts', route: '/users/{id}', subject: { kind: 'principal', value: 'mallory' }, ...window, owasp: 'API3:2023' });
    expect(f!.evidence).toEqual({
      responseBytes: 2 * MiB,
      responseSize: '2.0 MiB',
      path: '/users/42',
      method: 'GET',
      status: 200,
      eventId: 'big-1',
      largeResponses: 1,
      largeResponsesBytes: 2 * MiB,
      absoluteBytes: 50 * MiB,
      baselineP99Bytes: 9742, // 2^13.25 = 9741.98
      ratio: 215.3, // 2^21 / 2^13.25 = 2^7.75
    });
    // 0.5 + 0.49 x (215.27 - 20) / (400 - 20)
    expect(f!.confidence).toBe(0.752);
    expect(f!.eventIds).toEqual(['big-1']);
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('is medium for a huge response on a route that routinely serves big ones (under p99Ratio x its p99)', () => {
    const [f] = run([response(64 * MiB)], [sizedRoute(8 * MiB)]);
    expect(f!.severity).toBe('medium');
    expect(f!.evidence).toMatchObject({ responseSize: '64 MiB', baselineP99Bytes: Math.round(2 ** 23.25), ratio: 6.7 }); // 2^26 / 2^23.25 = 2^2.75
    expect(f!.confidence).toBe(0.5);
  });

  it('without a size baseline, flags only responses of absoluteBytes (high)', () => {
    const [f] = run([response(50 * MiB)], []);
    expect(f!.severity).toBe('high');
    expect(f!.evidence).not.toHaveProperty('ratio');
    expect(f!.evidence).not.toHaveProperty('baselineP99Bytes');
    expect(run([response(50 * MiB - 1)], [])).toEqual([]);
    expect(run([response(2 * MiB)], [])).toEqual([]);
    expect(run([response(10 * MiB)], [], { large_response: { absoluteBytes: 10 * MiB } })).toHaveLength(1);
  });

  it.each([
    // Baseline p99 2^17.25 = 155,871.75 bytes: 20x is 3,117,435.1.
    ['3,117,435 bytes: just under 20 x the p99', 3_117_435, 0],
    ['3,117,436 bytes: 20 x the p99', 3_117_436, 1],
  ])('p99Ratio: %s', (_, bytes, findings) => {
    expect(run([response(bytes)], [sizedRoute(2 ** 17)])).toHaveLength(findings);
  });

  it('needs minBytes as well as p99Ratio, and follows both in config', () => {
    expect(run([response(MiB - 1)])).toEqual([]); // 107x the p99, but under 1 MiB
    expect(run([response(MiB)])).toHaveLength(1);
    expect(run([response(2 * MiB)], undefined, { large_response: { minBytes: 4 * MiB } })).toEqual([]);
    expect(run([response(3_200_000)], [sizedRoute(2 ** 17)], { large_response: { p99Ratio: 25 } })).toEqual([]);
  });

  it('trusts the p99 only after warmupHours of baseline, minBaselineResponses responses, and the route known warmupHours before the response', () => {
    const big = [response(2 * MiB)];
    const oneHourOfTraffic = sizedRoute(8192, { hours: 1, firstSeenAt: CONTEXT_NOW - 3 * HOUR }); // known for 3 h, traffic in 1
    expect(run(big, [oneHourOfTraffic])).toEqual([]);
    expect(run(big, [oneHourOfTraffic], { warmupHours: 1 })).toHaveLength(1);
    expect(run(big, [sizedRoute(8192, { responses: 99 })])).toEqual([]);
    expect(run(big, [sizedRoute(8192, { responses: 100 })])).toHaveLength(1);
    expect(run(big, [sizedRoute(8192, { firstSeenAt: AT - 2 * HOUR + 1 })])).toEqual([]);
    expect(run(big, [sizedRoute(8192, { firstSeenAt: AT - 2 * HOUR })])).toHaveLength(1);
    // While the baseline warms up, a huge response is still high (no baseline to say it is usual).
    expect(run([response(64 * MiB)], [sizedRoute(8 * MiB, { hours: 1 })])[0]?.severity).toBe('high');
  });

  it('gives one finding per subject, route and window, reporting the largest response', () => {
    const events = [
      response(2 * MiB, { id: 'a' }),
      response(3 * MiB, { id: 'b', path: '/users/43', timestamp: AT + 30_000 }),
      response(2 * MiB, { id: 'next-window', timestamp: CONTEXT_NOW + MINUTE }),
      response(2 * MiB, { id: 'other', principal: 'trent' }),
    ];
    const findings = run(events);
    expect(findings.map((f) => [f.subject.value, f.windowStart, f.evidence.eventId, f.evidence.largeResponses, f.evidence.largeResponsesBytes])).toEqual([
      ['mallory', window.windowStart, 'b', 2, 5 * MiB],
      ['mallory', CONTEXT_NOW, 'next-window', 1, 2 * MiB],
      ['trent', window.windowStart, 'other', 1, 2 * MiB],
    ]);
    expect(findings[0]!.eventIds).toEqual(['a', 'b']);
    expect(findings[0]!.evidence.path).toBe('/users/43');
  });

  it('names the principal, else the IP, else the client id, else the route', () => {
    const subjectOf = (o: Partial<ApiTransaction>) => run([response(2 * MiB, o)])[0]?.subject;
    expect(subjectOf({ principal: undefined })).toEqual({ kind: 'ip', value: '198.51.100.1' });
    expect(subjectOf({ principal: undefined, clientIp: undefined, clientId: 'cli-9' })).toEqual({ kind: 'client', value: 'cli-9' });
    expect(subjectOf({ principal: undefined, clientIp: undefined })).toEqual({ kind: 'route', value: '/users/{id}' });
  });

  it('takes a fixed severity from config', () => {
    expect(run([response(2 * MiB)], undefined, { large_response: { severity: 'critical' } })[0]?.severity).toBe('critical');
  });
});
