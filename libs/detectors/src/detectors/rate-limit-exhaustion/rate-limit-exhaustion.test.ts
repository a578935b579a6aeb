import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { CONTEXT_NOW, routeStats, routeWindow, runDetector, tx } from '../../testing.js';
import type { RouteWindow } from '../../types.js';
import { MINUTE } from '../../units.js';
import { rateLimitExhaustion } from './index.js';

/**
 * rate_limit_exhaustion over hand-built contexts (contextFor): an outbound provider route's 5-minute window, and the
 * calls of the batch that show exhaustion (a finding needs both).
 */
const ROUTE = '/v1/charges';
const AT = CONTEXT_NOW - MINUTE;
/** The 15-minute window (default windowMs) of AT. */
const window = { windowStart: CONTEXT_NOW - 15 * MINUTE, windowEnd: CONTEXT_NOW };

/** The provider route's window: 200 calls, `e429` of them 429, the lowest remaining quota (1/10000) if any had headers. */
const provider = (o: { e429?: number; lowestRemainingPermyriad?: number } & Partial<RouteWindow> = {}): RouteWindow => {
  const { e429 = 0, lowestRemainingPermyriad, ...rest } = o;
  const headers = lowestRemainingPermyriad === undefined ? {} : { rateLimited: 200, lowestRemainingPermyriad };
  return routeWindow({ api: 'stripe', direction: 'outbound', route: ROUTE, current: routeStats({ calls: 200, e429, ...headers }), ...rest });
};

/** A call to the provider in the batch. */
const call = (o: Partial<ApiTransaction> = {}) => tx({ direction: 'outbound', api: 'stripe', path: ROUTE, route: ROUTE, timestamp: AT, ...o });
/** A call whose headers said `remaining` of 1000 left. */
const quota = (remaining: number, o: Partial<ApiTransaction> = {}) => call({ rateLimitLimit: 1000, rateLimitRemaining: remaining, ...o });
const refused = (o: Partial<ApiTransaction> = {}) => call({ status: 429, ...o });

const run = (r: RouteWindow, events: ApiTransaction[], config?: Record<string, unknown>) => runDetector(rateLimitExhaustion, { routes: [r], events, config });

describe('rate_limit_exhaustion (contextFor)', () => {
  it('flags a quota down to 3% (medium), with its evidence', () => {
    const [f, ...rest] = run(provider({ lowestRemainingPermyriad: 300 }), [quota(30, { id: 'low-1' }), quota(900)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'rate_limit_exhaustion', severity: 'medium', api: 'stripe', route: ROUTE, subject: { kind: 'api', value: 'stripe' }, ...window });
    expect(f).not.toHaveProperty('owasp');
    expect(f!.evidence).toEqual({
      requests: 200,
      rateLimited429: 0,
      rateLimitedShare: 0,
      windowMinutes: 5,
      maxRemainingShare: 0.05,
      min429: 3,
      minRemainingShare: 0.03,
      rateLimitHeaderEvents: 200,
    });
    // 0.5 + 0.49 x (500 - 300) / 500
    expect(f!.confidence).toBe(0.696);
    expect(f!.eventIds).toEqual(['low-1', 'e-1']); // the offending calls, then the route's sample
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('flags min429 answers 429 (high), with or without a low quota', () => {
    const [f] = run(provider({ e429: 3 }), [refused()]);
    expect(f!.severity).toBe('high');
    expect(f!.evidence).toMatchObject({ rateLimited429: 3, rateLimitedShare: 0.015 });
    expect(f!.evidence).not.toHaveProperty('minRemainingShare');
    expect(run(provider({ e429: 3, lowestRemainingPermyriad: 0 }), [refused()])[0]?.severity).toBe('high');
  });

  it.each([
    ['a quota at exactly 5%', provider({ lowestRemainingPermyriad: 500 }), [quota(50)], 1],
    ['a quota at 5.01% in the window', provider({ lowestRemainingPermyriad: 501 }), [refused()], 0],
    ['two 429s', provider({ e429: 2 }), [refused()], 0],
    ['three 429s', provider({ e429: 3 }), [refused()], 1],
  ])('thresholds: %s', (_, r, events, findings) => {
    expect(run(r, events)).toHaveLength(findings);
  });

  it('needs a call of this batch showing exhaustion on the route: a window remembering it is not enough', () => {
    const low = provider({ lowestRemainingPermyriad: 100, e429: 5 });
    expect(run(low, [])).toEqual([]);
    expect(run(low, [quota(900)])).toEqual([]); // the quota recovered
    expect(run(low, [quota(10, { path: '/v1/refunds', route: '/v1/refunds' })])).toEqual([]); // another route
    expect(run(low, [refused({ api: 'paypal' })])).toEqual([]); // another provider
    expect(run(low, [refused({ direction: 'inbound' })])).toEqual([]);
    expect(run(low, [quota(10)])).toHaveLength(1);
  });

  it('ignores inbound routes', () => {
    expect(run(provider({ e429: 10, direction: 'inbound' }), [refused()])).toEqual([]);
  });

  it('takes the window of the latest offending call', () => {
    const [f] = run(provider({ e429: 3 }), [refused({ timestamp: CONTEXT_NOW - 20 * MINUTE }), refused({ timestamp: CONTEXT_NOW + MINUTE }), refused()]);
    expect([f!.windowStart, f!.windowEnd]).toEqual([CONTEXT_NOW, CONTEXT_NOW + 15 * MINUTE]);
  });

  it('follows its config', () => {
    expect(run(provider({ lowestRemainingPermyriad: 300 }), [quota(30)], { rate_limit_exhaustion: { maxRemainingShare: 0.02 } })).toEqual([]);
    expect(run(provider({ lowestRemainingPermyriad: 800 }), [quota(80)], { rate_limit_exhaustion: { maxRemainingShare: 0.1 } })).toHaveLength(1);
    expect(run(provider({ e429: 3 }), [refused()], { rate_limit_exhaustion: { min429: 4 } })).toEqual([]);
    expect(run(provider({ e429: 1 }), [refused()], { rate_limit_exhaustion: { min429: 1 } })[0]?.severity).toBe('high');
    const [f] = run(provider({ e429: 3 }), [refused()], { rate_limit_exhaustion: { windowMs: 300_000, severity: 'critical' } });
    expect(f).toMatchObject({ severity: 'critical', windowStart: CONTEXT_NOW - 5 * MINUTE, windowEnd: CONTEXT_NOW });
  });
});
