import { z } from 'zod';
import { HOUR } from '../../units.js';
import { defineDetector, type FindingDraft } from '../../types.js';
import { positiveInt, severityOverride } from '../common.js';
import { endpointFinding, endpointName } from '../endpoint-finding.js';

/** The `detectors.new_endpoint` config section. */
export const newEndpointConfig = z
  .object({
    /** Calls answered below 400 the endpoint needs in the hour before it is news: a scanner's sweep touches each path it tries once or twice, a released endpoint gets used… */
    minServedCalls: positiveInt.default(5),
    /** …from at least this many callers (principal, else address; up to 8): one crawler sweeping pages is not an endpoint in use. */
    minCallers: positiveInt.max(8).default(2),
    severity: severityOverride,
  })
  .strict()
  .default({});

/**
 * new_endpoint: an endpoint (method and route template) first seen after
 * its api's warm-up, for apis without a declared spec (with one,
 * shadow_endpoint says more). Low: a release adds routes; the finding is
 * the inventory telling that it changed. Judged in the window of its first
 * sighting only.
 */
export const newEndpoint = defineDetector({
  name: 'new_endpoint',
  configSchema: newEndpointConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const ep of ctx.endpoints) {
      if (ep.declared || ep.firstSeen === undefined || ep.apiFirstSeen === undefined || ep.servedCalls < cfg.minServedCalls || ep.servedCallers < cfg.minCallers) continue;
      if (ep.firstSeen - ep.apiFirstSeen < ctx.config.warmupHours * HOUR) continue;
      // Only in the hour of its first sighting: later hours know it already.
      if (ep.firstSeen < ep.windowStart || ep.firstSeen >= ep.windowEnd) continue;
      const firstSeenAt = new Date(ep.firstSeen).toISOString();
      out.push(
        endpointFinding(ep, {
          detector: 'new_endpoint',
          severity: 'low',
          override: cfg.severity,
          confidence: 0.9,
          title: `New endpoint ${endpointName(ep)} on ${ep.api}, first called at ${firstSeenAt}`,
          description:
            `${ep.api} answered ${endpointName(ep)} for the first time at ${firstSeenAt}, ${Math.round((ep.firstSeen - ep.apiFirstSeen) / HOUR)} h after the api was first seen. ` +
            `Check that it was released on purpose, and declare the api's OpenAPI spec (detectors.inventory.specs) so that routes no spec has are reported as shadow endpoints.`,
          evidence: { firstSeenAt, apiFirstSeenAt: new Date(ep.apiFirstSeen).toISOString() },
        }),
      );
    }
    return out;
  },
});
