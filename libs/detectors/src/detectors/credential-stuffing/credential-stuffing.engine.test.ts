import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { HOUR, MINUTE, T0, background, detect, latest, only, rng, tx } from '../../testing.js';
import { credentialStuffing } from './index.js';

const detectors = [credentialStuffing];

function login(id: string, t: number, ip: string, user: string, status: number): ApiTransaction {
  return tx({ id, timestamp: t, method: 'POST', path: '/login', status, clientIp: ip, principal: user, userAgent: 'Mozilla/5.0 Firefox/128.0' });
}

/** Ordinary logins: `perMinute` from many people, `failureShare` of them typos (401). */
function normalLogins(from: number, to: number, perMinute: number, failureShare: number, seed = 3): ApiTransaction[] {
  const r = rng(seed);
  const total = Math.round(((to - from) / MINUTE) * perMinute);
  return Array.from({ length: total }, (_, i) => {
    const u = Math.floor(r() * 5000);
    return login(`ok-${seed}-${i}`, from + Math.floor((i / total) * (to - from)), `10.9.${u >> 8}.${u & 255}`, `user-${u}`, r() < failureShare ? 401 : 200);
  });
}

/** `ips` attacker IPs, each trying 1 or 2 usernames with 401s, spread over `spanMs` from `from`. */
function distributed(from: number, ips: number, spanMs: number, prefix = 'dist'): ApiTransaction[] {
  const out: ApiTransaction[] = [];
  for (let i = 0; i < ips; i++) {
    const ip = `203.0.${100 + (i >> 8)}.${i & 255}`;
    const tries = 1 + (i % 2);
    for (let k = 0; k < tries; k++) out.push(login(`${prefix}-${i}-${k}`, from + Math.floor(((i * 2 + k) / (ips * 2)) * spanMs), ip, `victim-${i * 2 + k}`, 401));
  }
  return out;
}

const HISTORY = 2.5 * HOUR; // past the default 2-hour warm-up of the login route's baseline

describe('credential_stuffing', () => {
  it('flags one IP trying 40 usernames on POST /login with 401s (subject ip)', async () => {
    const start = T0 + 10 * MINUTE;
    const attack = Array.from({ length: 40 }, (_, i) => login(`one-${i}`, start + i * 2_000, '198.51.100.66', `victim-${i}`, 401));
    const events = [...background({ from: T0, to: T0 + 15 * MINUTE, perMinute: 20 }), ...normalLogins(T0, T0 + 15 * MINUTE, 5, 0.05), ...attack];
    const findings = only(await detect(events, { detectors }), 'credential_stuffing');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'ip', value: '198.51.100.66' });
    expect(f.severity).toBe('high');
    expect(f.owasp).toBe('API2:2023');
    expect(f.evidence.failures).toBe(40);
    expect(f.evidence.principalsTried).toBe(40);
    expect(f.windowStart).toBe(start);
    expect(f.eventIds.every((id) => id.startsWith('one-'))).toBe(true);
    expect(() => findingSchema.parse(f)).not.toThrow(); // a valid Finding v1
  });

  it.each([
    { name: 'one person retrying their own account 25 times', users: 1, expected: 0 },
    { name: 'an office NAT with 6 people mistyping', users: 6, expected: 0 },
    { name: '10 usernames from one IP', users: 10, expected: 1 },
  ])('one IP, 25 failures: $name → $expected finding(s)', async ({ users, expected }) => {
    const attack = Array.from({ length: 25 }, (_, i) => login(`ip-${i}`, T0 + i * 5_000, '198.51.100.70', `person-${i % users}`, 401));
    expect(only(await detect(attack, { detectors }), 'credential_stuffing')).toHaveLength(expected);
  });

  it('flags 300 IPs each trying 1-2 usernames with 401s (distributed, subject route)', async () => {
    const start = T0 + HISTORY + 5 * MINUTE;
    const events = [
      ...background({ from: T0, to: T0 + HISTORY + 15 * MINUTE, perMinute: 10 }),
      ...normalLogins(T0, T0 + HISTORY + 15 * MINUTE, 10, 0.05),
      ...distributed(start, 300, 4 * MINUTE),
    ];
    // One campaign, one finding: revised as its counts grew over small batches.
    const findings = latest(only(await detect(events, { detectors, batchSize: 100 }), 'credential_stuffing'));
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'route', value: '/login' });
    expect(f.route).toBe('/login');
    expect(f.severity).toBe('high');
    expect(f.windowStart).toBe(start);
    // Its latest revision counts most of the 450 failures.
    expect(Number(f.evidence.failures)).toBeGreaterThanOrEqual(450 / 1.25);
    expect(Number(f.evidence.distinctIps)).toBeGreaterThanOrEqual(15);
    expect(Number(f.evidence.distinctPrincipals)).toBeGreaterThanOrEqual(20);
    expect(Number(f.evidence.failures)).toBeLessThanOrEqual(Number(f.evidence.requests));
    expect(Number(f.evidence.baselineFailureShare)).toBeLessThan(0.1);
    expect(Number(f.evidence.failureShare)).toBeGreaterThan(0.8);
    expect(() => findingSchema.parse(f)).not.toThrow();
  });

  it('makes a very large distributed campaign critical', async () => {
    const start = T0 + HISTORY + 5 * MINUTE;
    // Severity is judged when the finding is first published (its id is then claimed for the window),
    // so the whole campaign is in one batch here, as in a backtest over a busy hour.
    const events = [...normalLogins(T0, start + 4 * MINUTE, 10, 0.05), ...distributed(start, 420, 4 * MINUTE)];
    const findings = only(await detect(events, { detectors, batchSize: 5_000 }), 'credential_stuffing');
    expect(findings.map((f) => [f.subject.kind, f.severity])).toEqual([['route', 'critical']]);
    expect(Number(findings[0]!.evidence.failures)).toBeGreaterThanOrEqual(600);
  });

  it.each([
    { name: 'a new login route, 75% failures', failures: 150, successes: 50, expected: 1 },
    { name: 'a new login route, 40% failures', failures: 100, successes: 150, expected: 0 },
  ])('while the route baseline warms up, the share must reach 50%: $name → $expected', async ({ failures, successes, expected }) => {
    // Failures and successes spread evenly over the same 3 minutes: every window that slides over them sees the same share.
    const bad = Array.from({ length: failures }, (_, i) => login(`warm-${i}`, T0 + MINUTE + Math.floor((i / failures) * 3 * MINUTE), `203.0.113.${i % 250}`, `victim-${i}`, 401));
    const good = normalLogins(T0 + MINUTE, T0 + 4 * MINUTE, successes / 3, 0);
    expect(only(await detect([...bad, ...good], { detectors }), 'credential_stuffing')).toHaveLength(expected);
  });

  it('ignores normal logins with a few typos (5% failures), even at high volume', async () => {
    // 12 logins/min for 2.5 h, then 300/min for 6 min: ~75 typos per 5 minutes from hundreds of IPs.
    const events = [...normalLogins(T0, T0 + HISTORY, 12, 0.05, 4), ...normalLogins(T0 + HISTORY, T0 + HISTORY + 6 * MINUTE, 300, 0.05, 5)];
    const findings = await detect(events, { detectors });
    expect(only(findings, 'credential_stuffing')).toEqual([]);
  });

  it('respects the severity override', async () => {
    const attack = Array.from({ length: 30 }, (_, i) => login(`ov-${i}`, T0 + i * 1_000, '198.51.100.80', `victim-${i}`, 401));
    const findings = only(await detect(attack, { detectors, config: { credential_stuffing: { severity: 'medium' } } }), 'credential_stuffing');
    expect(findings.map((f) => f.severity)).toEqual(['medium']);
  });

  it('stays quiet on hours of ordinary traffic', async () => {
    const findings = await detect(background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 20, users: 150 }), { detectors });
    expect(only(findings, 'credential_stuffing')).toEqual([]);
  });
});
