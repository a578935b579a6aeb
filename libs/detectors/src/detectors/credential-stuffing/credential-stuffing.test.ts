import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { loginWindow, runDetector, subjectWindow } from '../../testing.js';
import type { LoginWindow, SubjectWindow } from '../../types.js';
import { credentialStuffing } from './index.js';

/** credential_stuffing over hand-built contexts (contextFor): one IP's 5 minutes, and login routes' 5 minutes. */
const attacker = { kind: 'ip', value: '203.0.113.66' } as const;
const { windowStart, windowEnd } = loginWindow();

/** One IP's window: `failures` rejected logins naming `principals` principals. */
const fromIp = (failures: number, principals: number, o: Partial<SubjectWindow> = {}) =>
  subjectWindow({ api: 'auth', subject: attacker, n: failures + 2, authFailures: failures, e4: failures, loginPrincipals: principals, userAgents: ['curl/8.4'], ...o });

/** A login route's window: `failures` of `n` attempts failed, from `ips` IPs against `principals` principals. */
const campaign = (failures: number, n: number, o: Partial<LoginWindow> = {}) => loginWindow({ failures, n, distinctIps: 40, distinctPrincipals: 120, ...o });

const perIp = (s: SubjectWindow, config?: Record<string, unknown>) => runDetector(credentialStuffing, { subjects: [s], config });
const perRoute = (l: LoginWindow, config?: Record<string, unknown>) => runDetector(credentialStuffing, { logins: [l], config });

describe('credential_stuffing (contextFor)', () => {
  describe('one IP', () => {
    it('flags 30 failed logins against 20 principals (high), with its evidence', () => {
      const [f, ...rest] = perIp(fromIp(30, 20));
      expect(rest).toEqual([]);
      expect(f).toMatchObject({ detector: 'credential_stuffing', severity: 'high', api: 'auth', subject: attacker, windowStart, windowEnd, owasp: 'API2:2023' });
      expect(f).not.toHaveProperty('route');
      expect(f!.evidence).toMatchObject({ failures: 30, principalsTried: 20, requests: 32, minFailuresPerIp: 20, minPrincipalsPerIp: 8, userAgents: 'curl/8.4' });
      // the larger of 0.5 + 0.49 x (20-8)/32 = 0.684 (principals) and 0.5 + 0.49 x (30-20)/80 = 0.561 (failures)
      expect(f!.confidence).toBe(0.684);
      expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
    });

    it.each([
      ['19 failures, 8 principals', 19, 8, 0],
      ['20 failures, 7 principals', 20, 7, 0],
      ['20 failures, 8 principals', 20, 8, 1],
    ])('thresholds: %s', (_, failures, principals, findings) => {
      expect(perIp(fromIp(failures, principals))).toHaveLength(findings);
    });

    it('only judges IP subjects', () => {
      expect(perIp(fromIp(100, 50, { subject: { kind: 'principal', value: 'alice' } }))).toEqual([]);
      expect(perIp(fromIp(100, 50, { subject: { kind: 'client', value: 'mobile-app' } }))).toEqual([]);
    });

    it('follows its config', () => {
      expect(perIp(fromIp(25, 10), { credential_stuffing: { minFailuresPerIp: 30 } })).toEqual([]);
      expect(perIp(fromIp(25, 10), { credential_stuffing: { minPrincipalsPerIp: 11 } })).toEqual([]);
      expect(perIp(fromIp(10, 4), { credential_stuffing: { minFailuresPerIp: 10, minPrincipalsPerIp: 4 } })).toHaveLength(1);
      expect(perIp(fromIp(25, 10), { credential_stuffing: { severity: 'critical' } })[0]?.severity).toBe('critical');
    });
  });

  describe('distributed, on a login route', () => {
    it('flags 150 of 200 logins failing from 40 IPs against 120 principals, baseline 5% (high)', () => {
      const [f, ...rest] = perRoute(campaign(150, 200));
      expect(rest).toEqual([]);
      expect(f).toMatchObject({ detector: 'credential_stuffing', severity: 'high', api: 'auth', route: '/login', subject: { kind: 'route', value: '/login' }, windowStart, windowEnd, owasp: 'API2:2023' });
      expect(f!.evidence).toEqual({
        failures: 150,
        requests: 200,
        failureShare: 0.75,
        requiredFailureShare: 0.35,
        distinctIps: 40,
        distinctPrincipals: 120,
        baselineN: 5000,
        minFailuresPerRoute: 60,
        baselineFailureShare: 0.05,
      });
      // spread 0.5 + 0.49 x 25/135 = 0.591; excess (0.75-0.35)/0.65 → 0.5 + 0.49 x 0.6154 = 0.8015; their mean 0.696
      expect(f!.confidence).toBe(0.696);
    });

    it('is critical from criticalFailuresPerRoute failures', () => {
      expect(perRoute(campaign(600, 800))[0]?.severity).toBe('critical');
      expect(perRoute(campaign(599, 800))[0]?.severity).toBe('high');
      expect(perRoute(campaign(150, 200), { credential_stuffing: { criticalFailuresPerRoute: 150 } })[0]?.severity).toBe('critical');
    });

    it.each([
      ['59 failures', campaign(59, 59), 0],
      ['60 failures', campaign(60, 60), 1],
      ['14 IPs', campaign(150, 200, { distinctIps: 14 }), 0],
      ['15 IPs', campaign(150, 200, { distinctIps: 15 }), 1],
      ['19 principals', campaign(150, 200, { distinctPrincipals: 19 }), 0],
      ['20 principals', campaign(150, 200, { distinctPrincipals: 20 }), 1],
      ['a share of exactly baseline 10% + 30% (not above it)', campaign(80, 200, { baselineFailureShare: 0.1 }), 0],
      ['a share of 40.5% over a 10% baseline', campaign(81, 200, { baselineFailureShare: 0.1 }), 1],
      ['no baseline yet: a share of 49.5%', campaign(99, 200, { baselineFailureShare: undefined }), 0],
      ['no baseline yet: a share of exactly 50%', campaign(100, 200, { baselineFailureShare: undefined }), 1],
      ['no attempts at all', campaign(0, 0), 0],
    ])('thresholds: %s', (_, l, findings) => {
      expect(perRoute(l)).toHaveLength(findings);
    });

    it('caps a polluted baseline share at maxBaselineFailureShare, so a long campaign still fires', () => {
      const [f] = perRoute(campaign(190, 200, { baselineFailureShare: 0.9 }));
      expect(f!.evidence).toMatchObject({ failureShare: 0.95, requiredFailureShare: 0.9, baselineFailureShare: 0.9 });
      expect(perRoute(campaign(179, 200, { baselineFailureShare: 0.9 }))).toEqual([]); // 0.895 is not above 0.6 + 0.3
      expect(perRoute(campaign(190, 200, { baselineFailureShare: 0.9 }), { credential_stuffing: { maxBaselineFailureShare: 0.7 } })).toEqual([]);
    });

    it('current behaviour: a share of exactly 90% over a capped baseline fires (0.6 + 0.3 is 0.8999999999999999 in floating point)', () => {
      // Compare: exactly 40% over a 10% baseline does not fire (0.1 + 0.3 is exactly 0.4). Suspected bug: the strict
      // "above" test is decided by rounding at the cap, not by the rule.
      expect(perRoute(campaign(180, 200, { baselineFailureShare: 0.9 }))).toHaveLength(1);
      expect(perRoute(campaign(180, 200, { baselineFailureShare: 0.6 }))).toHaveLength(1);
      expect(perRoute(campaign(80, 200, { baselineFailureShare: 0.1 }))).toEqual([]);
    });

    it('without a baseline, requires 50% and leaves the baseline share out of the evidence', () => {
      const [f] = perRoute(campaign(150, 200, { baselineFailureShare: undefined, baselineN: 0 }));
      expect(f!.evidence).toMatchObject({ requiredFailureShare: 0.5, baselineN: 0 });
      expect(f!.evidence).not.toHaveProperty('baselineFailureShare');
    });

    it('follows its config', () => {
      expect(perRoute(campaign(150, 200), { credential_stuffing: { minFailuresPerRoute: 200 } })).toEqual([]);
      expect(perRoute(campaign(150, 200), { credential_stuffing: { minDistinctIps: 41 } })).toEqual([]);
      expect(perRoute(campaign(150, 200), { credential_stuffing: { minDistinctPrincipals: 121 } })).toEqual([]);
      expect(perRoute(campaign(80, 200), { credential_stuffing: { minFailureShareIncrease: 0.4 } })).toEqual([]); // 40% is not above 5% + 40%
    });
  });

  it('reports the IP and the route in the same batch separately', () => {
    const findings = runDetector(credentialStuffing, { subjects: [fromIp(30, 20)], logins: [campaign(150, 200), loginWindow()] });
    expect(findings.map((f) => f.subject)).toEqual([attacker, { kind: 'route', value: '/login' }]);
  });
});
