import { z } from 'zod';
import { HOUR } from '../../units.js';
import { defineDetector, type FindingDraft, type RouteWindow } from '../../types.js';
import { OWASP, clip, confidenceFrom, positiveInt, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.schema_drift` config section. */
export const schemaDriftConfig = z
  .object({
    /** A route needs this many events in its baseline before a new signature is news. */
    minBaselineRequests: positiveInt.default(200),
    maxKnownSignatures: positiveInt.default(64),
    /** A route that already has this many signatures varies in shape by nature: a new one is reported as low. */
    variedRouteSignatures: positiveInt.default(8),
    severity: severityOverride,
  })
  .strict()
  .default({});

/** New signatures listed in one finding's evidence (a batch may carry more). */
const MAX_LISTED = 10;

type NewSignature = RouteWindow['newSignatures'][number];

const routeKey = (api: string, direction: string, route: string) => `${api}\u0000${direction}\u0000${route}`;


/**
 * schema_drift: a response signature (hash of the response's shape) never
 * seen before on an established route. The engine records first-seen
 * signatures per route in state, so a signature is news only once; while the
 * route is warming up, its signatures are learnt silently.
 *
 * One finding per route and hour of first sighting (several new signatures in
 * the same hour are listed together; their ids would collide otherwise).
 */
export const schemaDrift = defineDetector({
  name: 'schema_drift',
  configSchema: schemaDriftConfig,
  detect(ctx, cfg) {
    const warmupMs = ctx.config.warmupHours * HOUR;
    const candidates = ctx.routes.filter(
      (r) =>
        r.newSignatures.length > 0 &&
        r.baseline.n >= cfg.minBaselineRequests &&
        r.baseline.hours >= ctx.config.warmupHours &&
        r.baseline.firstSeenAt !== undefined,
    );
    if (candidates.length === 0) return [];

    // One pass over the batch: the route's event times, and how many events carried each new signature.
    const wanted = new Set<string>();
    for (const r of candidates) for (const s of r.newSignatures) wanted.add(`${routeKey(r.api, r.direction, r.route)}\u0000${s.signature}`);
    const routeTimes = new Map<string, number[]>();
    const sigEvents = new Map<string, { n: number; eventIds: string[] }>();
    for (const e of ctx.events) {
      const rk = routeKey(e.api, e.direction, e.route);
      const times = routeTimes.get(rk);
      if (times) times.push(e.timestamp);
      else routeTimes.set(rk, [e.timestamp]);
      if (!e.responseSignature) continue;
      const sk = `${rk}\u0000${e.responseSignature}`;
      if (!wanted.has(sk)) continue;
      let acc = sigEvents.get(sk);
      if (!acc) sigEvents.set(sk, (acc = { n: 0, eventIds: [] }));
      acc.n++;
      if (acc.eventIds.length < 10) acc.eventIds.push(e.id);
    }

    // The baseline sums previous hours, and when a batch spans hours those include this batch's own
    // events, even ones after the new signature. Judge each signature against the route as it was when
    // it appeared: known for warmupHours already, with enough requests before it.
    const currentHour = Math.floor(ctx.now / HOUR) * HOUR;
    const out: FindingDraft[] = [];
    for (const r of candidates) {
      const rk = routeKey(r.api, r.direction, r.route);
      const times = routeTimes.get(rk) ?? [];
      const requestsBefore = (t: number) => r.baseline.n - times.filter((x) => x >= t && x < currentHour).length;
      const byHour = new Map<number, NewSignature[]>();
      for (const s of r.newSignatures) {
        if (s.timestamp - r.baseline.firstSeenAt! < warmupMs || requestsBefore(s.timestamp) < cfg.minBaselineRequests) continue;
        const hour = Math.floor(s.timestamp / HOUR) * HOUR;
        const list = byHour.get(hour);
        if (list) list.push(s);
        else byHour.set(hour, [s]);
      }
      for (const [hour, found] of [...byHour].sort((a, b) => a[0] - b[0])) {
        const sigs = [...found].sort((a, b) => a.timestamp - b.timestamp || (a.signature < b.signature ? -1 : 1));
        const seen = (sig: string) => sigEvents.get(`${rk}\u0000${sig}`);
        // Known when the first of them appeared: those known before this batch and those it brought earlier.
        const known = r.knownSignatures + r.newSignatures.filter((x) => x.timestamp < sigs[0]!.timestamp).length;
        out.push(draft(cfg, r, hour, sigs, { baselineRequests: requestsBefore(sigs[0]!.timestamp), knownSignatures: known, batchRouteRequests: times.length }, seen));
      }
    }
    return out;
  },
});

function draft(
  cfg: z.output<typeof schemaDriftConfig>,
  r: RouteWindow,
  hour: number,
  sigs: NewSignature[],
  { baselineRequests, knownSignatures, batchRouteRequests }: { baselineRequests: number; knownSignatures: number; batchRouteRequests: number },
  seen: (signature: string) => { n: number; eventIds: string[] } | undefined,
): FindingDraft {
  const first = sigs[0]!;
  const outbound = r.direction === 'outbound';
  const varied = knownSignatures >= cfg.variedRouteSignatures;
  let carrying = 0;
  const eventIds: string[] = [];
  for (const s of sigs) if (!eventIds.includes(s.eventId)) eventIds.push(s.eventId);
  for (const s of sigs) {
    const acc = seen(s.signature);
    carrying += acc?.n ?? 1;
    for (const id of acc?.eventIds ?? []) if (!eventIds.includes(id)) eventIds.push(id);
  }
  const listed = sigs.slice(0, MAX_LISTED).map((s) => clip(s.signature, 96));
  const count = sigs.length;
  const plural = count === 1 ? 'signature' : 'signatures';
  const firstSeenAt = new Date(first.timestamp).toISOString();

  // A long, single-shaped history makes a new shape more telling; a route of many shapes less so.
  const stability = confidenceFrom(baselineRequests, cfg.minBaselineRequests, cfg.minBaselineRequests * 20);
  const confidence = Math.round((varied ? stability * 0.7 : stability) * 1000) / 1000;

  const routeText = clip(r.route, 100);
  const title = outbound
    ? clip(`${r.api} changed its response shape on ${routeText}: ${count} new ${plural} after ${baselineRequests} responses`, 200)
    : clip(`New response shape on ${routeText} (${r.api}): ${count} ${plural} never seen in ${baselineRequests} responses`, 200);
  const seenBefore = `${baselineRequests} earlier responses over ${r.baseline.hours} h carried ${knownSignatures} known ${knownSignatures === 1 ? 'signature' : 'signatures'}`;
  const description = outbound
    ? `Responses from provider ${r.api} on ${clip(r.route, 300)} carried ${count} response ${plural} never seen for this route (first at ${firstSeenAt}, event ${first.eventId}; ${carrying} of ${batchRouteRequests} calls in this batch), whereas ${seenBefore}. ` +
      `The provider changed what it returns without notice: fields added, removed, renamed or retyped. ` +
      `Check that our client validates the new shape instead of trusting it, and whether the provider announced a version change.`
    : `Responses of ${r.api} ${clip(r.route, 300)} carried ${count} response ${plural} never seen for this route (first at ${firstSeenAt}, event ${first.eventId}; ${carrying} of ${batchRouteRequests} responses in this batch), whereas ${seenBefore}. ` +
      `The shape of what the route returns changed: fields added, removed or renamed. ` +
      `Check for a deploy or configuration change, and that no internal or personal property is now exposed.` +
      (varied ? ' The route already varies a lot in shape, so this may be one more ordinary variant.' : '');

  return {
    detector: 'schema_drift',
    severity: severityOr(cfg.severity, varied ? 'low' : 'medium'),
    confidence,
    api: r.api,
    route: r.route,
    subject: { kind: 'route', value: r.route },
    windowStart: hour,
    windowEnd: hour + HOUR,
    title,
    description: clip(description, 4000),
    evidence: {
      newSignatures: clip(listed.join(', '), 1024),
      newSignatureCount: count,
      knownSignatures,
      baselineRequests,
      baselineHours: r.baseline.hours,
      firstEventId: first.eventId,
      firstSeenAt,
      eventsWithNewSignatures: carrying,
      batchRouteRequests,
      direction: r.direction,
    },
    owasp: outbound ? OWASP.UNSAFE_CONSUMPTION : OWASP.PROPERTY_EXPOSURE,
    eventIds: sample(eventIds, 20),
  };
}
