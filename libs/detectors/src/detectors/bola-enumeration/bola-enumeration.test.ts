import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { contextFor, runDetector, sequentialIds, subjectRouteWindow } from '../../testing.js';
import type { SubjectRouteWindow } from '../../types.js';
import { bolaEnumeration, idPattern, idPatterns } from './index.js';

/** bola_enumeration over hand-built contexts (contextFor): one subject's window on one route, no engine. */
const mallory = { kind: 'principal', value: 'mallory' } as const;
const { windowStart, windowEnd } = subjectRouteWindow();

/** A window of `distinct` distinct ids read `n` times (default once each), `ok` of them 2xx and `denied` 401/403/404. */
function enumeration(distinct: number, o: { n?: number; ok?: number; denied?: number; ids?: string[] } & Partial<SubjectRouteWindow> = {}): SubjectRouteWindow {
  const { ids, ...rest } = o;
  const n = o.n ?? distinct;
  return subjectRouteWindow({ subject: mallory, distinctIds: distinct, n, ok: o.ok ?? n, denied: o.denied ?? 0, ids: ids ?? sequentialIds(5000, distinct), ...rest });
}

const run = (windows: SubjectRouteWindow[], config?: Record<string, unknown>) => runDetector(bolaEnumeration, { subjectRoutes: windows, config });
const severityOf = (w: SubjectRouteWindow, config?: Record<string, unknown>) => run([w], config)[0]?.severity;

describe('bola_enumeration (contextFor)', () => {
  it('idPattern: the share of consecutive numeric ids 1 or 2 apart, and up to 10 distinct sample ids', () => {
    expect(idPattern(sequentialIds(100, 5))).toEqual({ sequentialShare: 1, sampleIds: ['100', '101', '102', '103', '104'] });
    // 10→12 and 15→16 are steps; 12→15 is too far, 16→16 is a repeat; 'abc' and 'x-1' are not numeric.
    expect(idPattern(['10', '12', '15', 'abc', '16', '16', 'x-1'])).toEqual({ sequentialShare: 2 / 4, sampleIds: ['10', '12', '15', 'abc', '16', 'x-1'] });
    expect(idPattern(sequentialIds(1, 30)).sampleIds).toEqual(sequentialIds(1, 10));
  });

  it('idPattern: no sequential share under three numeric ids (ids over 15 digits are not numeric)', () => {
    expect(idPattern(['1', '2', 'abc']).sequentialShare).toBeUndefined();
    expect(idPattern(['1234567890123456', '1234567890123457', '1234567890123458']).sequentialShare).toBeUndefined();
    expect(idPattern(['900', '17', '4242']).sequentialShare).toBe(0);
  });

  it('idPatterns (the view) looks only at inbound windows with at least minDistinctIds ids', () => {
    const judged = enumeration(30);
    const few = enumeration(29, { subject: { kind: 'principal', value: 'bob' } });
    const outbound = enumeration(40, { direction: 'outbound' });
    const { ctx, config } = contextFor({ subjectRoutes: [judged, few, outbound] });
    const patterns = idPatterns(ctx, config.bola_enumeration);
    expect([...patterns.keys()]).toEqual([judged]);
    expect(patterns.get(judged)).toEqual({ sequentialShare: 1, sampleIds: sequentialIds(5000, 10) });
  });

  it('flags 40 sequential ids all served 2xx as a confirmed breach (critical), with its evidence', () => {
    const [f, ...rest] = run([enumeration(40)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'bola_enumeration', severity: 'critical', api: 'accounts', route: '/users/{id}/account', subject: mallory, windowStart, windowEnd, owasp: 'API1:2023' });
    expect(f!.evidence).toEqual({
      distinctIds: 40,
      requests: 40,
      okReads: 40,
      distinctOkReadsAtLeast: 40,
      denied: 0,
      deniedShare: 0,
      minDistinctIds: 30,
      windowMs: 120_000,
      sampleIds: sequentialIds(5000, 10).join(', '),
      sequentialShare: 1,
    });
    // score = 0.4 x (40-30)/90 + 0.35 x 1 (sequential) + 0 (denied) + 0.25 (confirmed) = 0.6444; 0.5 + 0.49 x 0.6444 = 0.816
    expect(f!.confidence).toBe(0.816);
    expect(f!.eventIds).toEqual(['e-1']);
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it.each([
    ['20 distinct ids certainly served 2xx: critical', enumeration(30, { ok: 20, denied: 10 }), 'critical'],
    ['19 served, 37% denied: high', enumeration(30, { ok: 19, denied: 11 }), 'high'],
    ['repeat reads: 100 calls on 30 ids, 80 ok, so only 10 distinct ids certainly served: high', enumeration(30, { n: 100, ok: 80, denied: 20 }), 'high'],
    ['repeat reads: 100 calls on 30 ids, all ok, so 30 distinct ids served: critical', enumeration(30, { n: 100, ok: 100 }), 'critical'],
    ['a small probe (30 ids) all denied: medium', enumeration(30, { ok: 0, denied: 30 }), 'medium'],
    ['a small probe denied exactly 80%: medium', enumeration(30, { ok: 6, denied: 24 }), 'medium'],
    ['a small probe denied 77%: high', enumeration(30, { ok: 7, denied: 23 }), 'high'],
    ['59 ids all denied (under 2 x 30): medium', enumeration(59, { ok: 0, denied: 59 }), 'medium'],
    ['60 ids all denied (2 x 30, no longer small): high', enumeration(60, { ok: 0, denied: 60 }), 'high'],
  ])('severity: %s', (_, w, severity) => {
    expect(severityOf(w)).toBe(severity);
  });

  it('reports the denied share and the distinct ids certainly served of a mostly-denied probe', () => {
    const ids = ['900', '17', '4242', ...sequentialIds(100, 27)];
    const [f] = run([enumeration(30, { ok: 3, denied: 27, ids })]);
    expect(f!.evidence).toMatchObject({ requests: 30, okReads: 3, distinctOkReadsAtLeast: 3, denied: 27, deniedShare: 0.9, sampleIds: '900, 17, 4242, 100, 101, 102, 103, 104, 105, 106' });
    // Steps: 4242→100 no, then 26 sequential steps among 30 numeric ids: 26 / 29.
    expect(f!.evidence.sequentialShare).toBe(0.897);
  });

  it('leaves out the sequential share when the ids are not numeric', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `acct_${i.toString(36)}x`);
    const [f] = run([enumeration(30, { ids })]);
    expect(f!.evidence).not.toHaveProperty('sequentialShare');
    expect(f!.evidence.sampleIds).toBe(ids.slice(0, 10).join(', '));
  });

  it('fires from minDistinctIds distinct ids, not under it, and follows its config', () => {
    expect(run([enumeration(29)])).toEqual([]);
    expect(run([enumeration(30)])).toHaveLength(1);
    expect(run([enumeration(40)], { bola_enumeration: { minDistinctIds: 50 } })).toEqual([]);
    expect(run([enumeration(25)], { bola_enumeration: { minDistinctIds: 20 } })).toHaveLength(1);
  });

  it('config: confirmedOkReads, probeDeniedShare and a fixed severity change the verdict', () => {
    expect(severityOf(enumeration(40), { bola_enumeration: { confirmedOkReads: 50 } })).toBe('high');
    expect(severityOf(enumeration(30, { ok: 7, denied: 23 }), { bola_enumeration: { probeDeniedShare: 0.7 } })).toBe('medium');
    expect(severityOf(enumeration(40), { bola_enumeration: { severity: 'low' } })).toBe('low');
  });

  it('ignores outbound windows, and judges each subject window on its own', () => {
    expect(run([enumeration(80, { direction: 'outbound' })])).toEqual([]);
    const eve = { kind: 'ip', value: '203.0.113.9' } as const;
    const findings = run([enumeration(40), enumeration(35, { subject: eve, ok: 0, denied: 35 })]);
    expect(findings.map((f) => [f.subject, f.severity])).toEqual([
      [mallory, 'critical'],
      [eve, 'medium'],
    ]);
  });
});
