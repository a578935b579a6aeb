import { z } from 'zod';
import { defineDetector, type EndpointWindow, type FindingDraft } from '../../types.js';
import { OWASP, positiveInt, ratio, severityOverride } from '../common.js';
import { endpointFinding, endpointName, plural } from '../endpoint-finding.js';

/** The `detectors.unauthenticated_access` config section. */
export const unauthenticatedAccessConfig = z
  .object({
    /** Calls without a principal answered below 400 in the hour before it is judged. */
    minAnonymousCalls: positiveInt.default(3),
    /** Without a spec: the endpoint's calls on the previous days must have carried a principal at least this often… */
    minAuthenticatedShare: ratio.max(1).default(0.98),
    /** …over at least this many calls. */
    minHistoryCalls: positiveInt.default(200),
    severity: severityOverride,
  })
  .strict()
  .default({});

type Config = z.output<typeof unauthenticatedAccessConfig>;

/** Why the endpoint should have carried a principal: its declared spec secures it, or its calls always did. */
function expectation(ep: EndpointWindow, cfg: Config): { secured: boolean; share: number | undefined } | undefined {
  if (ep.declared?.inCurrent && ep.declared.secured) return { secured: true, share: undefined };
  const h = ep.history;
  if (!h || h.calls < cfg.minHistoryCalls) return undefined;
  const share = h.authenticated / h.calls;
  return share >= cfg.minAuthenticatedShare ? { secured: false, share } : undefined;
}

/**
 * unauthenticated_access: calls without a principal, answered below 400, to
 * an endpoint that the declared spec secures or whose calls on the previous
 * days carried a principal (OWASP API2): an authentication check missing or
 * bypassed. Calls refused with 401/403 are the check working and are not
 * counted. High against a secured spec, medium from history alone.
 */
export const unauthenticatedAccess = defineDetector({
  name: 'unauthenticated_access',
  configSchema: unauthenticatedAccessConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const ep of ctx.endpoints) {
      if (ep.anonymousServed < cfg.minAnonymousCalls) continue;
      const why = expectation(ep, cfg);
      if (!why) continue;
      const because = why.secured ? 'its declared spec requires a credential' : `${Math.round(why.share! * 1000) / 10}% of its ${ep.history!.calls} calls on the previous days carried one`;
      out.push(
        endpointFinding(ep, {
          detector: 'unauthenticated_access',
          severity: why.secured ? 'high' : 'medium',
          override: cfg.severity,
          confidence: why.secured ? 0.95 : 0.8,
          title: `Unauthenticated access to ${endpointName(ep)} on ${ep.api}: calls without a principal were answered`,
          description:
            `${ep.api} answered ${plural(ep.anonymousServed, 'call')} to ${endpointName(ep)} that carried no principal, with a status below 400, in the hour when this was found, though ${because}. ` +
            `Check the route's authentication (gateway policy, middleware order, a debug flag) and who made these calls.`,
          evidence: { anonymousServed: ep.anonymousServed, expectedFrom: why.secured ? 'spec' : 'history', ...(why.share !== undefined ? { historyAuthenticatedShare: Math.round(why.share * 1000) / 1000, historyCalls: ep.history!.calls } : {}) },
          owasp: OWASP.BROKEN_AUTH,
          eventIds: ep.anonymousEventIds,
        }),
      );
    }
    return out;
  },
});
