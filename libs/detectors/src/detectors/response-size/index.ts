import { z } from 'zod';
import { round } from '../../stats.js';
import { MINUTE } from '../../units.js';
import { defineDetector, type DetectContext, type FindingDraft, type RouteWindow, type SubjectWindow } from '../../types.js';
import { OWASP, alignedWindow, clip, confidenceFrom, formatBytes, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.response_size` config section. */
export const responseSizeConfig = z
  .object({
    /** Route: mean response bytes in the window over the baseline mean. */
    minRatio: ratio.default(4),
    minRequests: positiveInt.default(20),
    /** Principal: bytes in 5 minutes over its previous-hour rate. */
    principalMinRatio: ratio.default(20),
    principalMinBytes: positiveInt.default(20 * 1024 * 1024),
    /** Principal: a ratio to its previous-hour rate at or above this is high severity. */
    principalHighRatio: ratio.default(100),
    /** Route findings are aligned to spans of this many minutes: one finding per route and span while it lasts. */
    findingWindowMinutes: positiveInt.max(1440).default(15),
    severity: severityOverride,
  })
  .strict()
  .default({});


/**
 * Response bytes far above baseline, two ways (OWASP API3, excessive data exposure):
 * a route whose mean response size in the recent window is a multiple of its
 * mean over the previous hours (a field suddenly holding whole records), and a
 * principal that pulled far more bytes in the current 5 minutes than its rate
 * over the previous hour (or, without history, a very large amount), its
 * largest single response left out (that one is large_response's). A
 * route: one finding per aligned span (15 min by default) while it lasts. A
 * principal: its 5 minutes slide with its calls, one finding per episode,
 * judged against its own history (a nightly export it always runs is usual).
 */
export const responseSize = defineDetector({
  name: 'response_size',
  configSchema: responseSizeConfig,
  detect(ctx, cfg) {
    const out: FindingDraft[] = [];
    for (const r of ctx.routes) {
      const d = routeFinding(ctx, cfg, r);
      if (d) out.push(d);
    }
    for (const s of ctx.subjects) {
      const d = principalFinding(ctx, cfg, s);
      if (d) out.push(d);
    }
    return out;
  },
});

type ResponseSizeConfig = z.output<typeof responseSizeConfig>;

function routeFinding(ctx: DetectContext, cfg: ResponseSizeConfig, r: RouteWindow): FindingDraft | undefined {
  const b = r.baseline;
  if (!b || b.hours < ctx.config.warmupHours || b.bytesN < cfg.minRequests || b.bytesSum <= 0) return undefined;
  const n = r.current.bytesN;
  if (n < cfg.minRequests) return undefined;
  const mean = r.current.bytesSum / n;
  const baselineMean = b.bytesSum / b.bytesN;
  const ratio = mean / baselineMean;
  if (ratio < cfg.minRatio) return undefined;

  const minutes = Math.round((r.windowEnd - r.windowStart) / MINUTE);
  const big = ctx.events
    .filter((e) => e.api === r.api && e.direction === r.direction && e.route === r.route && (e.responseBytes ?? 0) >= cfg.minRatio * baselineMean)
    .sort((x, y) => (y.responseBytes ?? 0) - (x.responseBytes ?? 0))
    .map((e) => e.id);
  const where = r.direction === 'outbound' ? `provider ${r.api} ${r.route}` : `${r.api} ${r.route}`;
  return {
    detector: 'response_size',
    severity: severityOr(cfg.severity, 'medium'),
    confidence: confidenceFrom(ratio, cfg.minRatio, 4 * cfg.minRatio),
    api: r.api,
    route: r.route,
    subject: { kind: 'route', value: r.route },
    ...alignedWindow(r.windowEnd - 1, cfg.findingWindowMinutes * MINUTE),
    title: clip(`Responses of ${where} averaged ${formatBytes(mean)} over ${minutes} min, ${round(ratio, 1)}x the usual ${formatBytes(baselineMean)}`),
    description: clip(
      `${n} responses of ${where} in the last ${minutes} minutes averaged ${formatBytes(mean)}, ${round(ratio, 1)} times the ${formatBytes(baselineMean)} mean ` +
        `of the previous ${b.hours} hour(s) (${b.bytesN} responses). ` +
        (r.direction === 'outbound'
          ? 'The provider started answering with much larger bodies: check for a contract change, and that we do not store or forward more than needed.'
          : 'Check whether a release made the route return more than it should (whole records or related objects in a field, a missing page size or filter) and who received the large answers.'),
      4000,
    ),
    evidence: {
      observedMeanBytes: Math.round(mean),
      baselineMeanBytes: Math.round(baselineMean),
      ratio: round(ratio, 3),
      requests: n,
      bytes: r.current.bytesSum,
      baselineRequests: b.bytesN,
      baselineHours: b.hours,
      direction: r.direction,
      windowMinutes: minutes,
    },
    owasp: OWASP.PROPERTY_EXPOSURE,
    eventIds: big.length > 0 ? sample(big) : sample(r.sampleEventIds),
  };
}

function principalFinding(ctx: DetectContext, cfg: ResponseSizeConfig, s: SubjectWindow): FindingDraft | undefined {
  if (s.subject.kind !== 'principal' || s.horizon !== 'short') return undefined;
  // What many calls pulled: its largest single response is large_response's to judge (it learns the files a route keeps serving).
  const bytes = s.bytesSum - s.largestBytes;
  if (bytes < cfg.principalMinBytes) return undefined;
  // A principal seen in the previous hour without response sizes has no byte rate to compare with.
  const baseline = s.baselineBytesPer5m !== undefined && s.baselineBytesPer5m > 0 ? s.baselineBytesPer5m : undefined;
  const ratio = baseline !== undefined ? bytes / baseline : undefined;
  if (ratio !== undefined ? ratio < cfg.principalMinRatio : bytes < 5 * cfg.principalMinBytes) return undefined;

  const who = s.subject.value;
  const severity = ratio !== undefined && ratio >= cfg.principalHighRatio ? 'high' : 'medium';
  const against =
    ratio !== undefined
      ? `${round(ratio, 1)} times its ${formatBytes(baseline!)} per 5 minutes over the previous hour`
      : `with no byte history in the previous hour (the floor for a principal without history is ${formatBytes(5 * cfg.principalMinBytes)})`;
  const evidence: FindingDraft['evidence'] = {
    bytes,
    largestResponseBytes: s.largestBytes,
    requests: s.n,
    observedMeanBytes: s.n > 0 ? Math.round(bytes / s.n) : 0,
    distinctRoutes: s.distinctRoutes,
    samplePaths: sample(s.samplePaths, 10).join(' '),
    windowStart5m: new Date(s.windowStart).toISOString(),
  };
  if (baseline !== undefined && ratio !== undefined) {
    evidence.baselineBytesPer5m = Math.round(baseline);
    evidence.ratio = round(ratio, 3);
  }
  return {
    detector: 'response_size',
    severity: severityOr(cfg.severity, severity),
    confidence:
      ratio !== undefined
        ? confidenceFrom(ratio, cfg.principalMinRatio, cfg.principalHighRatio)
        : confidenceFrom(bytes, 5 * cfg.principalMinBytes, 20 * cfg.principalMinBytes),
    api: s.api,
    subject: s.subject,
    windowStart: s.windowStart,
    windowEnd: s.windowEnd,
    title: clip(`${who} received ${formatBytes(bytes)} from ${s.api} in 5 min` + (ratio !== undefined ? `, ${round(ratio, 1)}x its usual ${formatBytes(baseline!)}` : ' with no history')),
    description: clip(
      `Principal ${who} received ${formatBytes(bytes)} in ${s.n} responses from ${s.api} in the 5 minutes from ${new Date(s.windowStart).toISOString().slice(11, 16)} UTC, ${against}. ` +
        `Check what it read (sample paths in the evidence), whether the account or its key is compromised or scraping, and whether the responses expose more data than the client needs.`,
      4000,
    ),
    evidence,
    owasp: OWASP.PROPERTY_EXPOSURE,
    eventIds: sample(s.sampleEventIds),
    episode: s.active,
    magnitude: bytes / (1024 * 1024),
    usual: { ips: s.ips },
  };
}

