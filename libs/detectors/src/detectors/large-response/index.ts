import { z } from 'zod';
import type { Severity, Subject } from '@vigil/contracts';
import { histogramQuantile, round, sizeBinValue } from '../../stats.js';
import { largeSizeClass } from '../../storage/route-counters.js';
import { HOUR } from '../../units.js';
import { defineDetector, type DetectContext, type EnrichedEvent, type FindingDraft, type RouteWindow } from '../../types.js';
import { OWASP, alignedWindow, clip, confidenceFrom, formatBytes, formatMinutes, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.large_response` config section. */
export const largeResponseConfig = z
  .object({
    /** Bytes at or above which a single response is outsized, whatever the baseline. */
    absoluteBytes: positiveInt.default(50 * 1024 * 1024),
    /** Or this many times the route's baseline 99th percentile… */
    p99Ratio: ratio.default(20),
    /** …provided it is also at least this big. */
    minBytes: positiveInt.default(1024 * 1024),
    /** Sized responses the route's baseline needs before its 99th percentile is trusted. */
    minBaselineResponses: positiveInt.default(100),
    windowMs: z.number().int().min(1000).default(600_000),
    /** A large response of a size the route has served this many times before (within 2%) is usual for it (a popular download): reported at low. */
    usualAfterSightings: positiveInt.default(1),
    /** …and from this many sightings on, not reported at all. */
    quietAfterSightings: positiveInt.default(3),
    severity: severityOverride,
  })
  .strict()
  .default({});

interface Group {
  api: string;
  route: string;
  direction: EnrichedEvent['direction'];
  subject: Subject;
  windowStart: number;
  windowEnd: number;
  largest: EnrichedEvent & { responseBytes: number };
  baselineP99: number | undefined;
  ratio: number | undefined;
  unusual: boolean;
  /** Times the route served the largest response's size before (within 2%). */
  sightings: number;
  count: number;
  totalBytes: number;
  eventIds: string[];
}


const routeKey = (api: string, direction: string, route: string) => `${api}\u0000${direction}\u0000${route}`;

/** The acting subject: principal, else IP, else client, else the route itself. */
function subjectOf(e: EnrichedEvent): Subject {
  if (e.principal) return { kind: 'principal', value: e.principal };
  if (e.clientIp) return { kind: 'ip', value: e.clientIp };
  if (e.clientId) return { kind: 'client', value: e.clientId };
  return { kind: 'route', value: e.route };
}

/** A ratio for reading: 3.4x, 68886x. */
function times(ratio: number): string {
  return `${ratio >= 100 ? Math.round(ratio) : round(ratio, 1)}x`;
}


/**
 * large_response: one call with an outsized response (a bulk export, a
 * response without pagination). Fires when a response reaches
 * `absoluteBytes`, or when it is `p99Ratio` times the route's baseline 99th
 * percentile and at least `minBytes` (once the baseline has warmed up). One
 * finding per subject, route and aligned window (config windowMs), reporting
 * the largest response.
 */
export const largeResponse = defineDetector({
  name: 'large_response',
  configSchema: largeResponseConfig,
  detect(ctx, cfg) {
    return [...largeResponses(ctx, cfg).values()].map((g) => draft(g, cfg));
  },
});

type LargeResponseConfig = z.output<typeof largeResponseConfig>;

/** The large responses of the batch, grouped per route, subject and aligned window, with the largest of each. */
function largeResponses(ctx: DetectContext, cfg: LargeResponseConfig): Map<string, Group> {
  const floor = Math.min(cfg.absoluteBytes, cfg.minBytes);
  const p99Of = baselineP99s(ctx, cfg);
  const seen = sizesSeen(ctx);
  const groups = new Map<string, Group>();
  for (const e of ctx.events) {
    const bytes = e.responseBytes;
    if (bytes === undefined || bytes < floor) continue;
    const rk = routeKey(e.api, e.direction, e.route);
    const sightings = seen(rk, bytes);
    if (sightings >= cfg.quietAfterSightings) continue;
    const p99 = p99Of(rk, e.timestamp);
    const ratio = p99 !== undefined && p99 > 0 ? bytes / p99 : undefined;
    const unusual = ratio !== undefined && ratio >= cfg.p99Ratio && bytes >= cfg.minBytes;
    const huge = bytes >= cfg.absoluteBytes;
    if (!unusual && !huge) continue;

    const subject = subjectOf(e);
    const { windowStart, windowEnd } = alignedWindow(e.timestamp, cfg.windowMs);
    const key = [rk, subject.kind, subject.value, windowStart].join('\u0000');
    let g = groups.get(key);
    if (!g) {
      g = { api: e.api, route: e.route, direction: e.direction, subject, windowStart, windowEnd, largest: { ...e, responseBytes: bytes }, baselineP99: p99, ratio, unusual, sightings, count: 0, totalBytes: 0, eventIds: [] };
      groups.set(key, g);
    } else if (bytes > g.largest.responseBytes) {
      g.largest = { ...e, responseBytes: bytes };
      g.baselineP99 = p99;
      g.ratio = ratio;
      g.unusual = unusual;
      g.sightings = sightings;
    }
    g.count++;
    g.totalBytes += bytes;
    if (g.eventIds.length < 20) g.eventIds.push(e.id);
  }
  return groups;
}

/**
 * Per route, how many large responses within 2% of a size it served before an event (those before the batch,
 * then the batch's own in order): a size it keeps serving is a file people download, not an export.
 */
function sizesSeen(ctx: DetectContext): (key: string, bytes: number) => number {
  const stored = new Map<string, ReadonlyMap<number, number>>();
  for (const r of ctx.routes) stored.set(routeKey(r.api, r.direction, r.route), r.largeSizesBefore);
  const inBatch = new Map<string, Map<number, number>>();
  return (key, bytes) => {
    const size = largeSizeClass(bytes);
    let own = inBatch.get(key);
    if (!own) inBatch.set(key, (own = new Map()));
    const before = stored.get(key);
    let n = 0;
    for (const c of [size - 1, size, size + 1]) n += (before?.get(c) ?? 0) + (own.get(c) ?? 0);
    own.set(size, (own.get(size) ?? 0) + 1);
    return n;
  };
}

/** Per route, its baseline p99 for an event at `t`: undefined while the route was warming up at `t`. */
function baselineP99s(ctx: DetectContext, cfg: LargeResponseConfig): (key: string, t: number) => number | undefined {
  const routes = new Map<string, RouteWindow>();
  for (const r of ctx.routes) routes.set(routeKey(r.api, r.direction, r.route), r);
  const warmupMs = ctx.config.warmupHours * HOUR;
  const p99s = new Map<string, { p99: number | undefined; since: number }>();
  return (key, t) => {
    let entry = p99s.get(key);
    if (!entry) {
      const b = routes.get(key)?.baseline;
      const warm = b !== undefined && b.firstSeenAt !== undefined && b.hours >= ctx.config.warmupHours && b.bytesN >= cfg.minBaselineResponses;
      entry = { p99: warm ? histogramQuantile(b.bytesBins, 0.99, sizeBinValue) : undefined, since: warm ? b.firstSeenAt! : Infinity };
      p99s.set(key, entry);
    }
    // A batch spanning hours puts its own events in the baseline: the route must also have been
    // known for warmupHours before the event.
    return t - entry.since >= warmupMs ? entry.p99 : undefined;
  };
}

function draft(g: Group, cfg: LargeResponseConfig): FindingDraft {
  const e = g.largest;
  const bytes = e.responseBytes;
  // Outsized for the route (or no baseline to say otherwise): high. Big, but the route routinely
  // serves responses within p99Ratio of it (downloads, reports): medium.
  // A size the route served before is a file people fetch again: it keeps no more than low, and says so.
  const usual = g.sightings >= cfg.usualAfterSightings;
  const severity: Severity = usual ? 'low' : g.unusual || g.baselineP99 === undefined ? 'high' : 'medium';
  const confidence = g.ratio !== undefined ? confidenceFrom(g.ratio, cfg.p99Ratio, cfg.p99Ratio * 20) : Math.min(0.9, confidenceFrom(bytes, cfg.absoluteBytes, cfg.absoluteBytes * 10));
  const who = g.subject.kind === 'route' ? 'An anonymous caller' : `${g.subject.kind === 'principal' ? '' : `${g.subject.kind} `}${g.subject.value}`;
  const against = g.baselineP99 === undefined ? 'the route has no warmed-up size baseline yet' : `${times(g.ratio!)} the route's 99th percentile of ${formatBytes(g.baselineP99)}`;
  const from = g.direction === 'outbound' ? `provider ${g.api}: ` : '';
  const title = clip(`${clip(who, 60)} received ${formatBytes(bytes)} from ${from}${e.method} ${clip(g.route, 80)} (${g.baselineP99 === undefined ? 'no baseline' : `${times(g.ratio!)} p99`})`, 200);
  const description =
    `${clip(who, 200)} received a response of ${formatBytes(bytes)} from ${from}${e.method} ${clip(e.path, 300)} (status ${e.status}, event ${e.id}) on ${g.api} ${clip(g.route, 300)}; ${against}. ` +
    (g.count > 1 ? `${g.count} such responses (${formatBytes(g.totalBytes)} in all) in this ${formatMinutes(g.windowEnd - g.windowStart)} window. ` : '') +
    (usual ? `Usual for the route: it served this size ${g.sightings} time(s) before, a file people fetch again. ` : `One call returning this much is typical of a bulk export, a missing page size or a filter that was ignored. `) +
    `Check who made it and whether the response exposes more records or properties than the caller needs.`;
  const evidence: Record<string, number | string> = {
    responseBytes: bytes,
    responseSize: formatBytes(bytes),
    path: clip(e.path, 1024),
    method: e.method,
    status: e.status,
    eventId: e.id,
    largeResponses: g.count,
    largeResponsesBytes: g.totalBytes,
    absoluteBytes: cfg.absoluteBytes,
  };
  if (g.baselineP99 !== undefined) {
    evidence.baselineP99Bytes = Math.round(g.baselineP99);
    evidence.ratio = round(g.ratio!, 1);
  }
  if (g.sightings > 0) evidence.recurrences = g.sightings;
  if (usual) evidence.usual = `the route served ${formatBytes(bytes)} (within 2%) ${g.sightings} time${g.sightings === 1 ? '' : 's'} before`;
  return {
    detector: 'large_response',
    severity: severityOr(cfg.severity, severity),
    confidence,
    api: g.api,
    route: g.route,
    subject: g.subject,
    windowStart: g.windowStart,
    windowEnd: g.windowEnd,
    title,
    description: clip(description, 4000),
    evidence,
    owasp: OWASP.PROPERTY_EXPOSURE,
    eventIds: sample(g.eventIds, 20),
  };
}
