import { z } from 'zod';
import type { Severity } from '@vigil/contracts';
import { clamp, round } from '../../stats.js';
import { iso } from '../../units.js';
import { defineDetector, type FindingDraft, type LoginWindow, type SubjectWindow } from '../../types.js';
import { OWASP, clip, confidenceFrom, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.credential_stuffing` config section. */
export const credentialStuffingConfig = z
  .object({
    /** One IP: failures and distinct principals it tried in 5 minutes… */
    minFailuresPerIp: positiveInt.default(20),
    minPrincipalsPerIp: positiveInt.default(8),
    /** …or in an hour (slow stuffing: an attempt a minute). */
    longMinFailuresPerIp: positiveInt.default(30),
    longMinPrincipalsPerIp: positiveInt.default(15),
    /** Many IPs against one login route. */
    minFailuresPerRoute: positiveInt.default(60),
    minDistinctIps: positiveInt.default(15),
    minDistinctPrincipals: positiveInt.default(20),
    /** Failure share must also exceed the baseline share by this much. */
    minFailureShareIncrease: ratio.max(1).default(0.3),
    /** The baseline share is capped here, so a campaign that has already polluted the baseline still fires. */
    maxBaselineFailureShare: ratio.max(1).default(0.6),
    /** Failures on one login route in the window that make a distributed campaign critical. */
    criticalFailuresPerRoute: positiveInt.default(600),
    loginRoutePattern: z.string().default('(^|/)(login|signin|sign-in|auth|authenticate|token|oauth/token|session|sessions)(/|$)'),
    severity: severityOverride,
  })
  .strict()
  .default({});

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
export const credentialStuffing = defineDetector({
  name: 'credential_stuffing',
  configSchema: credentialStuffingConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const s of ctx.subjects) {
      if (s.subject.kind !== 'ip') continue;
      const [failures, principals] = s.horizon === 'short' ? [cfg.minFailuresPerIp, cfg.minPrincipalsPerIp] : [cfg.longMinFailuresPerIp, cfg.longMinPrincipalsPerIp];
      if (s.authFailures >= failures && s.loginPrincipals >= principals) out.push(fromIp(s, cfg, { failures, principals }, ctx.now));
    }
    for (const l of ctx.logins) {
      const d = fromRoute(l, cfg, ctx.now);
      if (d) out.push(d);
    }
    return out;
  },
});

type StuffingConfig = z.output<typeof credentialStuffingConfig>;

function fromIp(s: SubjectWindow, cfg: StuffingConfig, min: { failures: number; principals: number }, now: number): FindingDraft {
  const ip = clip(s.subject.value, 60);
  const span = s.horizon === 'short' ? '5 min' : '1 hour';
  const confidence = round(Math.max(confidenceFrom(s.loginPrincipals, min.principals, 5 * min.principals), confidenceFrom(s.authFailures, min.failures, 5 * min.failures)));
  return {
    detector: 'credential_stuffing',
    severity: severityOr(cfg.severity, 'high'),
    confidence,
    api: s.api,
    subject: s.subject,
    windowStart: s.windowStart,
    windowEnd: s.windowEnd,
    title: clip(`${ip} failed ${s.authFailures} logins against ${s.loginPrincipals} usernames in ${span}`, 200),
    description:
      `IP ${ip} had ${s.authFailures} login attempts rejected (401/403) on ${s.api} in the ${span === '5 min' ? '5-minute' : 'hour-long'} window from ${iso(s.windowStart)} (counted up to ${iso(Math.min(now, s.windowEnd))}), ` +
      `trying ${s.loginPrincipals} distinct principals (${s.n} calls in all). People mistype their own password; failing on ${s.loginPrincipals} different accounts ` +
      `from one address is credential stuffing or password spraying (thresholds: ${min.failures} failures, ${min.principals} principals in ${span}). Block or challenge the IP, and check the ` +
      `principals it tried for successful logins and for resets.`,
    evidence: {
      failures: s.authFailures,
      principalsTried: s.loginPrincipals,
      requests: s.n,
      minFailuresPerIp: min.failures,
      minPrincipalsPerIp: min.principals,
      windowMinutes: (s.windowEnd - s.windowStart) / 60_000,
      userAgents: s.userAgents.join(' | ').slice(0, 1024),
      samplePaths: sample(s.samplePaths, 10).join(', ').slice(0, 1024),
    },
    owasp: OWASP.BROKEN_AUTH,
    eventIds: sample(s.sampleEventIds),
    episode: s.active,
    magnitude: s.authFailures,
    usual: { ips: s.ips },
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
  const route = clip(l.route, 80);
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
    title: clip(`${l.distinctIps} IPs failed ${l.failures} logins against ${l.distinctPrincipals} usernames on ${route} in 5 min`, 200),
    description:
      `Login route ${l.api} ${clip(l.route, 200)} rejected ${l.failures} of ${l.n} attempts (${pct(share)}) in the 5-minute window from ` +
      `${iso(l.windowStart)} (counted up to ${iso(now)}), coming from ${l.distinctIps} IPs and naming ${l.distinctPrincipals} principals; ${against}. ` +
      `Many IPs each trying a few accounts is a distributed credential-stuffing or password-spraying campaign that per-IP limits miss. ` +
      `${critical ? 'At this volume some guesses are likely to succeed: check successful logins in the window for takeovers. ' : ''}` +
      `Consider a challenge (CAPTCHA, step-up) on the route, and check the principals tried for successful logins.`,
    evidence,
    owasp: OWASP.BROKEN_AUTH,
    eventIds: sample(l.sampleEventIds),
    episode: { from: l.windowStart, to: l.windowEnd },
    magnitude: l.failures,
  };
}


function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

