import { z } from 'zod';
import { defineDetector, type FindingDraft } from '../../types.js';
import { OWASP, positiveInt, severityOverride } from '../common.js';
import { endpointFinding, endpointName, plural } from '../endpoint-finding.js';

/** The `detectors.zombie_endpoint` config section. */
export const zombieEndpointConfig = z
  .object({
    /** Calls answered below 400 the endpoint needs in the hour. */
    minServedCalls: positiveInt.default(1),
    severity: severityOverride,
  })
  .strict()
  .default({});

/**
 * zombie_endpoint: an endpoint its api's declared spec marks deprecated, or
 * that an earlier version of the spec had and the current one dropped,
 * still answering calls (OWASP API9). Old versions keep old bugs and miss
 * new controls. Medium for a dropped one (it should not answer at all), low
 * for a deprecated one still in the spec.
 */
export const zombieEndpoint = defineDetector({
  name: 'zombie_endpoint',
  configSchema: zombieEndpointConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const ep of ctx.endpoints) {
      const d = ep.declared;
      if (!d || !(d.dropped || (d.inCurrent && d.deprecated)) || ep.servedCalls < cfg.minServedCalls) continue;
      const why = d.dropped ? 'an earlier version of its declared spec had it and the current one does not' : 'its declared spec marks it deprecated';
      out.push(
        endpointFinding(ep, {
          detector: 'zombie_endpoint',
          severity: d.dropped ? 'medium' : 'low',
          override: cfg.severity,
          confidence: 0.9,
          title: `Zombie endpoint ${endpointName(ep)} on ${ep.api}: ${d.dropped ? 'dropped from the spec' : 'deprecated'}, and still answering calls`,
          description:
            `${ep.api} answered ${plural(ep.servedCalls, 'call')} to ${endpointName(ep)} below 400 in the hour when this was found, though ${why}. ` +
            `Find its callers (the finding's events) and move them to the current version, then switch the old one off.`,
          evidence: { servedCalls: ep.servedCalls, declared: d.dropped ? 'dropped' : 'deprecated' },
          owasp: OWASP.INVENTORY,
        }),
      );
    }
    return out;
  },
});
