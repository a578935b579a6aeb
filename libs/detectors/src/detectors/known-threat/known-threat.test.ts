import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { CONTEXT_NOW, runDetector, tx } from '../../testing.js';
import type { ThreatEntry } from '../../threats.js';
import { MINUTE } from '../../units.js';
import { knownThreat } from './index.js';

/** known_threat over hand-built contexts (contextFor): raw events of a batch against a known-threats list. */
const threats: ThreatEntry[] = [
  { kind: 'ip', value: '203.0.113.7', reason: 'scanner seen in logs' },
  { kind: 'cidr', value: '192.0.2.0/24' },
  { kind: 'user_agent', value: 'sqlmap' },
  { kind: 'key_id', value: 'key_live_leaked_1', reason: 'posted on a paste site' },
];
/** The 10-minute window (default windowMs) ending at CONTEXT_NOW. */
const window = { windowStart: CONTEXT_NOW - 10 * MINUTE, windowEnd: CONTEXT_NOW };
const at = (minutesBeforeNow: number) => CONTEXT_NOW - minutesBeforeNow * MINUTE;

const run = (events: ApiTransaction[], config?: Record<string, unknown>, list: ThreatEntry[] = threats) => runDetector(knownThreat, { events, threats: list, config });

describe('known_threat (contextFor)', () => {
  it('groups the calls of a listed IP in its window into one critical finding, with its evidence', () => {
    const events = [
      tx({ id: 'k-1', clientIp: '203.0.113.7', path: '/users/1', status: 200, timestamp: at(4) }),
      tx({ id: 'ordinary', clientIp: '198.51.100.1', path: '/users/2', timestamp: at(3) }),
      tx({ id: 'k-2', clientIp: '203.0.113.7', path: '/orders/2', status: 404, timestamp: at(1) }),
    ];
    const [f, ...rest] = run(events);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'known_threat', severity: 'critical', confidence: 0.95, api: 'accounts', subject: { kind: 'ip', value: '203.0.113.7' }, ...window });
    expect(f).not.toHaveProperty('owasp');
    expect(f!.evidence).toEqual({
      matchKind: 'ip',
      matchedValue: '203.0.113.7',
      reason: 'scanner seen in logs',
      requests: 2,
      okResponses: 1,
      distinctRoutes: 2,
      samplePaths: '/users/1, /orders/2',
    });
    expect(f!.eventIds).toEqual(['k-1', 'k-2']);
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it.each([
    ['a listed IP', { clientIp: '203.0.113.7' }, 'critical', 0.95, { kind: 'ip', value: '203.0.113.7' }, 'ip', '203.0.113.7'],
    ['an IPv4-mapped listed IP', { clientIp: '::ffff:203.0.113.7' }, 'critical', 0.95, { kind: 'ip', value: '::ffff:203.0.113.7' }, 'ip', '::ffff:203.0.113.7'],
    ['an IP in a listed block', { clientIp: '192.0.2.77' }, 'critical', 0.9, { kind: 'ip', value: '192.0.2.77' }, 'cidr', '192.0.2.0/24'],
    ['a leaked key as principal', { principal: 'key_live_leaked_1' }, 'critical', 0.95, { kind: 'principal', value: 'key_live_leaked_1' }, 'key_id', 'key_live_leaked_1'],
    ['a leaked key as client id', { principal: 'alice', clientId: 'key_live_leaked_1' }, 'critical', 0.95, { kind: 'client', value: 'key_live_leaked_1' }, 'key_id', 'key_live_leaked_1'],
    ['a listed user agent (the caller IP as subject)', { userAgent: 'sqlmap/1.7.2#stable' }, 'high', 0.7, { kind: 'ip', value: '198.51.100.1' }, 'user_agent', 'sqlmap'],
    ['a listed user agent, no IP (the principal)', { userAgent: 'SQLMap', clientIp: undefined, principal: 'bob' }, 'high', 0.7, { kind: 'principal', value: 'bob' }, 'user_agent', 'sqlmap'],
    ['a listed user agent, only a client id', { userAgent: 'sqlmap', clientIp: undefined, clientId: 'cli-9' }, 'high', 0.7, { kind: 'client', value: 'cli-9' }, 'user_agent', 'sqlmap'],
    ['a listed user agent, anonymous (the api)', { userAgent: 'sqlmap', clientIp: undefined }, 'high', 0.7, { kind: 'api', value: 'accounts' }, 'user_agent', 'sqlmap'],
  ] as const)('%s', (_, fields, severity, confidence, subject, matchKind, matchedValue) => {
    const [f, ...rest] = run([tx({ ...fields, timestamp: at(2) })]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity, confidence, subject, ...window });
    expect(f!.evidence).toMatchObject({ matchKind, matchedValue, requests: 1 });
  });

  it('marks leaked keys API2 and names the IPs that used them; a listed entry without a reason gets one', () => {
    const [key] = run([tx({ principal: 'key_live_leaked_1', clientIp: '198.51.100.23', timestamp: at(2) })]);
    expect(key!.owasp).toBe('API2:2023');
    expect(key!.evidence).toMatchObject({ reason: 'posted on a paste site', sourceIps: '198.51.100.23' });
    const [block] = run([tx({ clientIp: '192.0.2.77', timestamp: at(2) })]);
    expect(block!.evidence.reason).toBe('listed cidr');
    expect(block!.evidence).not.toHaveProperty('sourceIps');
  });

  it('gives one finding per subject, api and aligned window', () => {
    const events = [
      tx({ clientIp: '203.0.113.7', timestamp: at(9) }),
      tx({ clientIp: '203.0.113.7', timestamp: at(1) }),
      tx({ clientIp: '203.0.113.7', timestamp: CONTEXT_NOW + MINUTE }), // the next window
      tx({ clientIp: '203.0.113.7', api: 'billing', timestamp: at(1) }),
      tx({ clientIp: '192.0.2.8', timestamp: at(1) }),
    ];
    const findings = run(events);
    expect(findings.map((f) => [f.api, f.subject.value, f.windowStart, f.evidence.requests])).toEqual([
      ['accounts', '203.0.113.7', CONTEXT_NOW - 10 * MINUTE, 2],
      ['accounts', '203.0.113.7', CONTEXT_NOW, 1],
      ['billing', '203.0.113.7', CONTEXT_NOW - 10 * MINUTE, 1],
      ['accounts', '192.0.2.8', CONTEXT_NOW - 10 * MINUTE, 1],
    ]);
  });

  it('follows its config: windowMs and a fixed severity', () => {
    const events = [tx({ clientIp: '203.0.113.7', timestamp: at(9) }), tx({ clientIp: '203.0.113.7', timestamp: at(1) })];
    const fiveMinutes = run(events, { known_threat: { windowMs: 300_000 } });
    expect(fiveMinutes.map((f) => [f.windowStart, f.windowEnd])).toEqual([
      [CONTEXT_NOW - 10 * MINUTE, CONTEXT_NOW - 5 * MINUTE],
      [CONTEXT_NOW - 5 * MINUTE, CONTEXT_NOW],
    ]);
    expect(run(events, { known_threat: { severity: 'medium' } }).map((f) => f.severity)).toEqual(['medium']);
  });

  it('finds nothing without a list, or when nothing matches', () => {
    const events = [tx({ clientIp: '203.0.113.7', userAgent: 'sqlmap', timestamp: at(1) })];
    expect(runDetector(knownThreat, { events })).toEqual([]);
    expect(run([tx({ clientIp: '203.0.113.8', principal: 'key_live_ok', userAgent: 'curl/8.4', timestamp: at(1) })])).toEqual([]);
    expect(run(events, undefined, [{ kind: 'ip', value: '10.0.0.1' }])).toEqual([]);
  });
});
