import { z } from 'zod';
import { defineDetector, type FindingDraft } from '../../types.js';
import { OWASP, positiveInt, severityOverride } from '../common.js';
import { endpointFinding, endpointName, plural } from '../endpoint-finding.js';

/** The `detectors.shadow_endpoint` config section. */
export const shadowEndpointConfig = z
  .object({
    /** Calls answered below 400 the endpoint needs in the hour (calls answered 404 are probes of routes that do not exist). */
    minServedCalls: positiveInt.default(1),
    severity: severityOverride,
  })
  .strict()
  .default({});

/**
 * shadow_endpoint: an endpoint that answers in production though no
 * declared spec of its api has it (OWASP API9, improper inventory). An
 * endpoint an earlier spec version had is a zombie instead. Medium; high
 * when it served calls that carried no principal (undocumented and open).
 */
export const shadowEndpoint = defineDetector({
  name: 'shadow_endpoint',
  configSchema: shadowEndpointConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const ep of ctx.endpoints) {
      if (!ep.declared || ep.declared.inCurrent || ep.declared.dropped || ep.route === '{other}') continue;
      const served = ep.servedCalls;
      if (served < cfg.minServedCalls) continue;
      const open = ep.anonymousServed > 0;
      out.push(
        endpointFinding(ep, {
          detector: 'shadow_endpoint',
          severity: open ? 'high' : 'medium',
          override: cfg.severity,
          confidence: served >= 10 ? 0.95 : 0.8,
          title: `Shadow endpoint ${endpointName(ep)} on ${ep.api}: it answers calls, and the declared spec does not have it`,
          description:
            `${ep.api} answered ${plural(served, 'call')} to ${endpointName(ep)} below 400 in the hour when this was found${open ? `, ${ep.anonymousServed} of them without a principal` : ''}, and no operation of its declared OpenAPI spec matches it. ` +
            `An undocumented endpoint escapes review, testing and gateway policy. Find the service that serves it, then document it in the spec or remove it.`,
          evidence: { servedCalls: served, anonymousServed: ep.anonymousServed },
          owasp: OWASP.INVENTORY,
        }),
      );
    }
    return out;
  },
});
