import type { Severity } from '@vigil/contracts';
import { clamp, round } from '../stats.js';
import type { Detector, FindingDraft, LoginWindow, SubjectWindow } from '../types.js';
import { OWASP, confidenceFrom, sample, severityOr } from './common.js';

/**
 * Credential stuffing and password spraying on login routes (routes matching
 * loginRoutePattern; there the acting subject is the client IP), over 5 minutes.
 *
 *  - One IP: >= minFailuresPerIp failed logins (401/403) and >= minPrincipalsPerIp
 *    distinct principals tried → subject ip, high.
 *  - Distributed: on one login route, >= minFailuresPerRoute failures from
 *    >= minDistinctIps IPs against >= minDistinctPrincipals principals, and a
 *    failure share above min(baseline, maxBaselineFailureShare) + minFailureShareIncrease
 *    (>= 0.5 while the route's baseline warms up) → subject route, high;
 *    critical from criticalFailuresPerRoute failures.
 */
export const credentialStuffing: Detector = {
  name: 'credential_stuffing',
  detect(ctx) {
    const cfg = ctx.config.credential_stuffing;
    const out: FindingDraft[] = [];
    for (const s of ctx.subjects) {
      if (s.subject.kind !== 'ip') continue;
      if (s.authFailures >= cfg.minFailuresPerIp && s.loginPrincipals >= cfg.minPrincipalsPerIp) out.push(fromIp(s, cfg, ctx.now));
    }
    for (const l of ctx.logins) {
      const d = fromRoute(l, cfg, ctx.now);
      if (d) out.push(d);
    }
    return out;
  },
};

type StuffingConfig = {
  minFailuresPerIp: number;
  minPrincipalsPerIp: number;
  minFailuresPerRoute: number;
  minDistinctIps: number;
  minDistinctPrincipals: number;
  minFailureShareIncrease: number;
  maxBaselineFailureShare: number;
  criticalFailuresPerRoute: number;
  severity?: Severity | undefined;
};

function fromIp(s: SubjectWindow, cfg: StuffingConfig, now: number): FindingDraft {
  const ip = short(s.subject.value, 60);
  const confidence = round(
    Math.max(confidenceFrom(s.loginPrincipals, cfg.minPrincipalsPerIp, 5 * cfg.minPrincipalsPerIp), confidenceFrom(s.authFailures, cfg.minFailuresPerIp, 5 * cfg.minFailuresPerIp)),
  );
  return {
    detector: 'credential_stuffing',
    severity: severityOr(cfg.severity, 'high'),
    confidence,
    api: s.api,
    subject: s.subject,
    windowStart: s.windowStart,
    windowEnd: s.windowEnd,
    title: short(`${ip} failed ${s.authFailures} logins against ${s.loginPrincipals} usernames in 5 min`, 200),
    description:
      `IP ${ip} had ${s.authFailures} login attempts rejected (401/403) on ${s.api} in the 5-minute window from ${iso(s.windowStart)} (counted up to ${iso(now)}), ` +
      `trying ${s.loginPrincipals} distinct principals (${s.n} calls in all). People mistype their own password; failing on ${s.loginPrincipals} different accounts ` +
      `from one address is credential stuffing or password spraying (thresholds: ${cfg.minFailuresPerIp} failures, ${cfg.minPrincipalsPerIp} principals). Block or challenge the IP, and check the ` +
      `principals it tried for successful logins and for resets.`,
    evidence: {
      failures: s.authFailures,
      principalsTried: s.loginPrincipals,
      requests: s.n,
      minFailuresPerIp: cfg.minFailuresPerIp,
      minPrincipalsPerIp: cfg.minPrincipalsPerIp,
      userAgents: s.userAgents.join(' | ').slice(0, 1024),
      samplePaths: sample(s.samplePaths, 10).join(', ').slice(0, 1024),
    },
    owasp: OWASP.BROKEN_AUTH,
    eventIds: sample(s.sampleEventIds),
  };
}

function fromRoute(l: LoginWindow, cfg: StuffingConfig, now: number): FindingDraft | undefined {
  if (l.n === 0 || l.failures < cfg.minFailuresPerRoute) return undefined;
  if (l.distinctIps < cfg.minDistinctIps || l.distinctPrincipals < cfg.minDistinctPrincipals) return undefined;
  const share = l.failures / l.n;
  // A long campaign feeds its own failures into the baseline; the cap keeps the bar reachable.
  const baseline = l.baselineFailureShare === undefined ? undefined : Math.min(l.baselineFailureShare, cfg.maxBaselineFailureShare);
  const required = baseline === undefined ? 0.5 : baseline + cfg.minFailureShareIncrease;
  if (baseline === undefined ? share < required : share <= required) return undefined;

  const critical = l.failures >= cfg.criticalFailuresPerRoute;
  const spread = confidenceFrom(l.distinctIps, cfg.minDistinctIps, 10 * cfg.minDistinctIps);
  const excess = clamp((share - required) / Math.max(1e-9, 1 - required), 0, 1);
  const confidence = round(clamp(0.5 * spread + 0.5 * (0.5 + 0.49 * excess), 0, 0.99));
  const route = short(l.route, 80);
  const against =
    l.baselineFailureShare === undefined
      ? 'the route has no baseline yet, so the share had to reach 50%'
      : `the route's usual failure share is ${pct(l.baselineFailureShare)} (${l.baselineN} logins in the baseline)`;

  const evidence: Record<string, number | string> = {
    failures: l.failures,
    requests: l.n,
    failureShare: round(share),
    requiredFailureShare: round(required),
    distinctIps: l.distinctIps,
    distinctPrincipals: l.distinctPrincipals,
    baselineN: l.baselineN,
    minFailuresPerRoute: cfg.minFailuresPerRoute,
  };
  if (l.baselineFailureShare !== undefined) evidence.baselineFailureShare = round(l.baselineFailureShare);

  return {
    detector: 'credential_stuffing',
    severity: severityOr(cfg.severity, critical ? 'critical' : 'high'),
    confidence,
    api: l.api,
    route: l.route,
    subject: { kind: 'route', value: l.route },
    windowStart: l.windowStart,
    windowEnd: l.windowEnd,
    title: short(`${l.distinctIps} IPs failed ${l.failures} logins against ${l.distinctPrincipals} usernames on ${route} in 5 min`, 200),
    description:
      `Login route ${l.api} ${short(l.route, 200)} rejected ${l.failures} of ${l.n} attempts (${pct(share)}) in the 5-minute window from ` +
      `${iso(l.windowStart)} (counted up to ${iso(now)}), coming from ${l.distinctIps} IPs and naming ${l.distinctPrincipals} principals; ${against}. ` +
      `Many IPs each trying a few accounts is a distributed credential-stuffing or password-spraying campaign that per-IP limits miss. ` +
      `${critical ? 'At this volume some guesses are likely to succeed: check successful logins in the window for takeovers. ' : ''}` +
      `Consider a challenge (CAPTCHA, step-up) on the route, and check the principals tried for successful logins.`,
    evidence,
    owasp: OWASP.BROKEN_AUTH,
    eventIds: sample(l.sampleEventIds),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function short(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
