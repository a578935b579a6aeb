import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, only, tx } from '../../testing.js';
import type { ThreatEntry } from '../../threats.js';

const THREATS: ThreatEntry[] = [
  { kind: 'cidr', value: '203.0.113.0/24', reason: 'botnet' },
  { kind: 'ip', value: '192.0.2.66', reason: 'seen in last week’s intrusion' },
  { kind: 'cidr', value: '2001:db8:bad::/48', reason: 'abusive hosting range' },
  { kind: 'key_id', value: 'key-leaked-1', reason: 'published on a paste site' },
  { kind: 'user_agent', value: '\\bsqlmap\\b', reason: 'SQL injection scanner' },
];

const AT = T0 + 30 * MINUTE; // the middle of the 10-minute window 0:30–0:40

/** `count` calls, one every second from `at`. */
function calls(count: number, over: Partial<ApiTransaction>, at = AT): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) => tx({ id: `kt-${at}-${over.clientIp ?? over.principal ?? over.clientId ?? 'x'}-${i}`, timestamp: at + i * 1000, path: `/accounts/${100 + i}`, ...over }));
}

const run = (events: ApiTransaction[], options: { batchSize?: number; config?: Record<string, unknown> } = {}) =>
  detect(events, { threats: THREATS, ...options }).then((f) => only(f, 'known_threat'));

describe('known_threat', () => {
  it('reports an event from a listed CIDR block as critical', async () => {
    const found = await run([tx({ id: 'bad-1', timestamp: AT, clientIp: '203.0.113.9', path: '/accounts/7' })]);
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.subject).toEqual({ kind: 'ip', value: '203.0.113.9' });
    expect(f.severity).toBe('critical');
    expect(f.evidence).toMatchObject({ matchKind: 'cidr', matchedValue: '203.0.113.0/24', reason: 'botnet', requests: 1, samplePaths: '/accounts/7' });
    expect(f.owasp).toBeUndefined();
    expect(f.eventIds).toEqual(['bad-1']);
    expect(f.windowStart).toBe(T0 + 30 * MINUTE);
    expect(f.windowEnd).toBe(T0 + 40 * MINUTE);
    expect(f.route).toBeUndefined();
    expect(findingSchema.safeParse(f).success).toBe(true);
  });

  it.each([
    ['a listed IP', { clientIp: '192.0.2.66' }, { kind: 'ip', value: '192.0.2.66' }, 'ip', 'critical'],
    ['an IPv6 address in a listed block', { clientIp: '2001:db8:bad:1::5' }, { kind: 'ip', value: '2001:db8:bad:1::5' }, 'cidr', 'critical'],
    ['a leaked key id used as principal', { principal: 'key-leaked-1', clientIp: '198.51.100.20' }, { kind: 'principal', value: 'key-leaked-1' }, 'key_id', 'critical'],
    ['a leaked key id used as client id', { clientId: 'key-leaked-1', clientIp: '198.51.100.21' }, { kind: 'client', value: 'key-leaked-1' }, 'key_id', 'critical'],
    ['a scanner user agent, by IP', { userAgent: 'sqlmap/1.8#stable', clientIp: '198.51.100.22' }, { kind: 'ip', value: '198.51.100.22' }, 'user_agent', 'high'],
    ['a scanner user agent without an IP, by principal', { userAgent: 'sqlmap/1.8', clientIp: undefined, principal: 'svc-report' }, { kind: 'principal', value: 'svc-report' }, 'user_agent', 'high'],
  ] as const)('reports %s', async (_, over, subject, matchKind, severity) => {
    const found = await run(calls(3, over));
    expect(found).toHaveLength(1);
    expect(found[0]!.subject).toEqual(subject);
    expect(found[0]!.evidence.matchKind).toBe(matchKind);
    expect(found[0]!.evidence.requests).toBe(3);
    expect(found[0]!.severity).toBe(severity);
    // Leaked credentials are broken authentication; other matches name no OWASP category.
    expect(found[0]!.owasp).toBe(matchKind === 'key_id' ? 'API2:2023' : undefined);
  });

  it('gives one finding for 100 events of the same bad IP in one window', async () => {
    const events = calls(100, { clientIp: '203.0.113.9' });
    const found = await run(events);
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.requests).toBe(100);
    expect(found[0]!.evidence.okResponses).toBe(100);
    expect(found[0]!.eventIds.length).toBeLessThanOrEqual(20);
  });

  it('keeps one finding per window across batches, and starts a new one in the next window', async () => {
    // 100 s of calls in batches of 10, then more calls 10 minutes later.
    const events = [...calls(100, { clientIp: '203.0.113.9' }), ...calls(5, { clientIp: '203.0.113.9' }, AT + 10 * MINUTE)];
    const found = await run(events, { batchSize: 10 });
    expect(found.map((f) => f.windowStart)).toEqual([T0 + 30 * MINUTE, T0 + 40 * MINUTE]);
  });

  it('separates two bad IPs of the same block', async () => {
    const found = await run([...calls(2, { clientIp: '203.0.113.9' }), ...calls(2, { clientIp: '203.0.113.10' })]);
    expect(found.map((f) => f.subject.value).sort()).toEqual(['203.0.113.10', '203.0.113.9']);
  });

  it('lists the addresses a leaked key is used from', async () => {
    const found = await run([...calls(2, { principal: 'key-leaked-1', clientIp: '198.51.100.30' }), ...calls(2, { principal: 'key-leaked-1', clientIp: '198.51.100.31' }, AT + 5000)]);
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.sourceIps).toBe('198.51.100.30, 198.51.100.31');
  });

  it('honours the window and severity from config', async () => {
    const found = await run(calls(1, { clientIp: '203.0.113.9' }), { config: { known_threat: { windowMs: HOUR, severity: 'high' } } });
    expect(found.map((f) => [f.severity, f.windowStart, f.windowEnd])).toEqual([['high', T0, T0 + HOUR]]);
  });

  it.each([
    ['an unlisted IP', () => calls(20, { clientIp: '198.51.100.77' })],
    ['an address next to the listed block', () => calls(5, { clientIp: '203.0.114.1' })],
    ['ordinary background traffic', () => background({ from: T0, to: T0 + 3 * HOUR, perMinute: 10 })],
  ])('is silent for %s', async (_, events) => {
    expect(await run(events())).toEqual([]);
  });

  it('is silent without a known-threats store', async () => {
    expect(only(await detect(calls(5, { clientIp: '203.0.113.9' })), 'known_threat')).toEqual([]);
  });
});
