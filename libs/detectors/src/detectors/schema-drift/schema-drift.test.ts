import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { CONTEXT_NOW, routeStats, routeWindow, runDetector, tx } from '../../testing.js';
import type { RouteWindow } from '../../types.js';
import { HOUR, MINUTE } from '../../units.js';
import { schemaDrift } from './index.js';

/**
 * schema_drift over hand-built contexts (contextFor): a route's response signatures first seen in this batch, against
 * its baseline. The batch's clock is 10:15 (NOW), so the current hour starts at 10:00.
 */
const ROUTE = '/users/{id}';
const NOW = CONTEXT_NOW + 15 * MINUTE;

interface Sighting {
  signature: string;
  eventId: string;
  timestamp: number;
}
const sighting = (signature: string, eventId: string, timestamp = CONTEXT_NOW + 5 * MINUTE): Sighting => ({ signature, eventId, timestamp });
/** The batch event that carried a sighting. */
const carrier = (s: Sighting, o: Partial<ApiTransaction> = {}) => tx({ id: s.eventId, path: '/users/1', responseSignature: s.signature, timestamp: s.timestamp, ...o });

/** /users/{id} with new signatures, 2 known ones, over 24 hours (by default) of 14,400 calls first seen 24 hours ago. */
function route(newSignatures: Sighting[], o: { known?: number; calls?: number; hours?: number; firstSeenAt?: number } & Partial<RouteWindow> = {}): RouteWindow {
  const { known = 2, calls = 14_400, hours = 24, firstSeenAt = CONTEXT_NOW - 24 * HOUR, ...rest } = o;
  return routeWindow({ route: ROUTE, newSignatures, knownSignatures: known, baseline: { ...routeStats({ calls }), hours, firstSeenAt, hourLatencyQuantiles: [] }, ...rest });
}
/** The route as if its first-seen mark were missing. */
const withoutFirstSeen = (r: RouteWindow): RouteWindow => ({ ...r, baseline: { ...r.baseline, firstSeenAt: undefined } });

const run = (routes: RouteWindow[], events: ApiTransaction[] = [], config?: Record<string, unknown>) => runDetector(schemaDrift, { now: NOW, routes, events, config });
const severityOf = (r: RouteWindow, config?: Record<string, unknown>) => run([r], [], config)[0]?.severity;

describe('schema_drift (contextFor)', () => {
  it('flags a signature never seen on an established route (medium), with its evidence', () => {
    const s = sighting('sig-new', 'ev-1');
    const events = [carrier(s), carrier(sighting('sig-new', 'ev-2', s.timestamp + 1000)), tx({ id: 'ev-3', path: '/users/2', responseSignature: 'sig-old', timestamp: s.timestamp + 2000 })];
    const [f, ...rest] = run([route([s])], events);
    expect(rest).toEqual([]);
    // The hour of first sighting.
    expect(f).toMatchObject({ detector: 'schema_drift', severity: 'medium', api: 'accounts', route: ROUTE, subject: { kind: 'route', value: ROUTE }, windowStart: CONTEXT_NOW, windowEnd: CONTEXT_NOW + HOUR, owasp: 'API3:2023' });
    expect(f!.evidence).toEqual({
      newSignatures: 'sig-new',
      newSignatureCount: 1,
      knownSignatures: 2,
      baselineRequests: 14_400,
      baselineHours: 24,
      firstEventId: 'ev-1',
      firstSeenAt: new Date(s.timestamp).toISOString(),
      eventsWithNewSignatures: 2,
      batchRouteRequests: 3,
      direction: 'inbound',
    });
    // 0.5 + 0.49 x min(1, (14,400 - 200) / (4,000 - 200))
    expect(f!.confidence).toBe(0.99);
    expect(f!.eventIds).toEqual(['ev-1', 'ev-2']);
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('is low on a route that already has variedRouteSignatures shapes, at 70% of the confidence', () => {
    expect(severityOf(route([sighting('s', 'e')], { known: 7 }))).toBe('medium');
    const [varied] = run([route([sighting('s', 'e')], { known: 8 })]);
    expect(varied).toMatchObject({ severity: 'low', confidence: 0.693 });
    expect(severityOf(route([sighting('s', 'e')], { known: 3 }), { schema_drift: { variedRouteSignatures: 3 } })).toBe('low');
  });

  it('marks an outbound provider route API10', () => {
    const [f] = run([route([sighting('s', 'e')], { api: 'stripe', direction: 'outbound', route: '/v1/charges' })]);
    expect(f).toMatchObject({ api: 'stripe', owasp: 'API10:2023' });
    expect(f!.evidence.direction).toBe('outbound');
  });

  it.each([
    ['199 baseline calls', route([sighting('s', 'e')], { calls: 199 }), 0],
    ['200 baseline calls', route([sighting('s', 'e')], { calls: 200 }), 1],
    ['1 hour of baseline (warming up)', route([sighting('s', 'e')], { hours: 1 }), 0],
    ['no first-seen time', withoutFirstSeen(route([sighting('s', 'e')])), 0],
    ['a route first seen 2 hours before the sighting, less 1 ms', route([sighting('s', 'e')], { firstSeenAt: CONTEXT_NOW + 5 * MINUTE - 2 * HOUR + 1 }), 0],
    ['a route first seen 2 hours before the sighting', route([sighting('s', 'e')], { firstSeenAt: CONTEXT_NOW + 5 * MINUTE - 2 * HOUR }), 1],
    ['no new signature', route([]), 0],
  ])('thresholds: %s', (_, r, findings) => {
    expect(run([r])).toHaveLength(findings);
  });

  it("judges a sighting against the calls before it: the batch's later calls of earlier hours leave the baseline", () => {
    // A sighting at 09:50 on a route of 250 baseline calls; the batch's calls between 09:50 and 10:00 are in that baseline.
    const s = sighting('sig-new', 'ev-1', CONTEXT_NOW - 10 * MINUTE);
    const later = (count: number) => Array.from({ length: count }, (_, i) => tx({ path: '/users/1', timestamp: s.timestamp + i * 1000 }));
    expect(run([route([s], { calls: 250 })], later(51))).toEqual([]); // 199 calls before it
    const [f] = run([route([s], { calls: 250 })], later(50));
    expect(f!.evidence).toMatchObject({ baselineRequests: 200, batchRouteRequests: 50 });
    expect(f).toMatchObject({ windowStart: CONTEXT_NOW - HOUR, windowEnd: CONTEXT_NOW });
  });

  it('lists the new signatures of one hour together, and gives each hour its own finding', () => {
    const a = sighting('sig-b', 'ev-b', CONTEXT_NOW - 30 * MINUTE);
    const b = sighting('sig-a', 'ev-a', CONTEXT_NOW + 5 * MINUTE);
    const c = sighting('sig-c', 'ev-c', CONTEXT_NOW + 10 * MINUTE);
    const findings = run([route([c, a, b], { known: 7 })], [carrier(a)]);
    expect(findings.map((f) => [f.windowStart, f.evidence.newSignatures, f.evidence.newSignatureCount, f.evidence.knownSignatures, f.severity])).toEqual([
      [CONTEXT_NOW - HOUR, 'sig-b', 1, 7, 'medium'],
      // Known when the first of them appeared: the 7, and sig-b seen earlier in the batch.
      [CONTEXT_NOW, 'sig-a, sig-c', 2, 8, 'low'],
    ]);
    // 09:30's sighting: the batch's own call at 09:30 is not before it.
    expect(findings[0]!.evidence.baselineRequests).toBe(14_399);
    // Signatures not carried by an event of the batch count once each.
    expect(findings[1]!.evidence).toMatchObject({ eventsWithNewSignatures: 2, firstEventId: 'ev-a' });
  });

  it('follows its config', () => {
    const r = route([sighting('s', 'e')]);
    expect(run([r], [], { schema_drift: { minBaselineRequests: 14_401 } })).toEqual([]);
    expect(run([route([sighting('s', 'e')], { hours: 1 })], [], { warmupHours: 1 })).toHaveLength(1);
    expect(run([route([sighting('s', 'e')], { firstSeenAt: CONTEXT_NOW - 2 * HOUR })], [], { warmupHours: 3 })).toEqual([]);
    expect(severityOf(r, { schema_drift: { severity: 'high' } })).toBe('high');
  });
});
