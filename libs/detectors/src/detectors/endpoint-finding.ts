import type { Severity } from '@vigil/contracts';
import type { EndpointWindow, FindingDraft } from '../types.js';
import { clip, sample, severityOr } from './common.js';

/**
 * What the inventory's detectors (new, shadow, zombie endpoints,
 * unauthenticated access) share: an endpoint's finding names its method and
 * route as the subject, and is judged once per endpoint and hour, on the
 * hour's counts (later batches in the hour give the same id, published once;
 * a revision when its counts grow).
 */
export function endpointFinding(
  ep: EndpointWindow,
  o: {
    detector: FindingDraft['detector'];
    severity: Severity;
    override: Severity | undefined;
    title: string;
    description: string;
    evidence: FindingDraft['evidence'];
    owasp?: string;
    confidence: number;
    eventIds?: readonly string[];
  },
): FindingDraft {
  const { windowStart, windowEnd } = ep;
  return {
    detector: o.detector,
    severity: severityOr(o.override, o.severity),
    confidence: o.confidence,
    api: ep.api,
    route: ep.route,
    subject: { kind: 'route', value: clip(`${ep.method} ${ep.route}`, 512) },
    windowStart,
    windowEnd,
    title: clip(o.title, 200),
    description: clip(o.description, 4000),
    evidence: { method: ep.method, direction: ep.direction, callsInHour: ep.calls, ...o.evidence },
    ...(o.owasp ? { owasp: o.owasp } : {}),
    eventIds: sample(o.eventIds ?? ep.sampleEventIds, 20),
  };
}

/** `1 call`, `3 calls`. */
export const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `GET /users/{id}` of `api`, bounded for titles. */
export function endpointName(ep: EndpointWindow): string {
  return `${ep.method} ${clip(ep.route, 100)}`;
}
