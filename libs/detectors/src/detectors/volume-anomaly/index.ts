import { z } from 'zod';
import { round } from '../../stats.js';
import { MINUTE } from '../../units.js';
import { defineDetector, type ApiMinute, type ApiWindow, type DetectContext, type FindingDraft } from '../../types.js';
import { OWASP, alignedWindow, clip, confidenceFrom, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.volume_anomaly` config section. */
export const volumeAnomalyConfig = z
  .object({
    spikeRatio: ratio.default(4),
    dropRatio: ratio.max(1).default(0.2),
    /** The expectation must be at least this many events per minute for a drop to mean anything. */
    minExpectedPerMinute: ratio.default(20),
    /** Robust z-score a spike must also exceed. */
    minZ: ratio.default(6),
    /**
     * Robust z-score a drop must also exceed. Lower than for spikes: a drop
     * cannot fall below zero, so its z-score is at most expected / spread
     * (about 4 for a busy api with a daily ramp), and the ratio test
     * (dropRatio) already carries most of the evidence.
     */
    dropMinZ: ratio.default(3),
    /** Days of history before the hour-of-day (seasonal) baseline is used. */
    seasonalDays: positiveInt.max(28).default(2),
    /** A spike must reach at least this many events per minute: a quiet api doubling from 2 to 10/min is noise. */
    minSpikePerMinute: ratio.default(30),
    /** A spike of at least this ratio to the expectation is high severity (with a seasonal baseline; low without one). */
    highSpikeRatio: ratio.default(10),
    /** A drop to at most this share of the expectation counts as "to about zero" (high severity). */
    nearZeroShare: ratio.max(1).default(0.05),
    /** Findings are aligned to spans of this many minutes: one finding per api and span while an anomaly lasts. */
    findingWindowMinutes: positiveInt.max(1440).default(15),
    severity: severityOverride,
  })
  .strict()
  .default({});


interface Deviation {
  kind: 'spike' | 'drop';
  minute: number;
  n: number;
  z: number;
  /** The expectation of the minute's hour it was judged against (for a drop, ApiMinute `dropExpectedPerMinute`). */
  expected: number;
  spread: number;
  baselineKind: ApiMinute['baselineKind'];
  /** Anomalous closed minutes of the same kind in this span and batch. */
  minutes: number;
}

type VolumeConfig = z.output<typeof volumeAnomalyConfig>;

/** A closed minute judged against the api's expectation (a drop against `dropExpected`); undefined when it is ordinary. */
function judge(n: number, expected: number, dropExpected: number, spread: number, cfg: VolumeConfig): Pick<Deviation, 'kind' | 'n' | 'z' | 'expected'> | undefined {
  const s = Math.max(spread, 1e-9);
  if (n >= cfg.minSpikePerMinute && n >= cfg.spikeRatio * expected && (n - expected) / s >= cfg.minZ) return { kind: 'spike', n, z: (n - expected) / s, expected };
  if (dropExpected >= cfg.minExpectedPerMinute && n <= cfg.dropRatio * dropExpected && (dropExpected - n) / s >= cfg.dropMinZ) return { kind: 'drop', n, z: (dropExpected - n) / s, expected: dropExpected };
  return undefined;
}

const perMinute = (x: number) => (x >= 10 ? String(Math.round(x)) : String(round(x, 1)));
const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);

/**
 * Traffic of an api (inbound) or provider (outbound) far above or below its
 * expectation, minute by closed minute. The expectation is seasonal (same hour
 * on previous days) once enough days exist, else the recent hours, of the
 * minute's own hour (a drop then against the lower of their median and the
 * latest hour: on a ramp down the median lags). One finding per api and aligned span (15 min by
 * default) while the anomaly lasts; its evidence is the worst minute seen in
 * the batch that reported it.
 */
export const volumeAnomaly = defineDetector({
  name: 'volume_anomaly',
  configSchema: volumeAnomalyConfig,
  detect(ctx, cfg) {
    const span = cfg.findingWindowMinutes * MINUTE;
    const out: FindingDraft[] = [];
    for (const a of ctx.apis) {
      const worst = new Map<number, Deviation>();
      // Each minute against its own hour's expectation (at 07:00 the 06:59 night minute is judged against the night).
      for (const m of a.closedMinutes) {
        const { expectedPerMinute: expected, dropExpectedPerMinute: dropExpected, spreadPerMinute: spread, baselineKind } = m;
        if (expected === undefined || spread === undefined || baselineKind === 'warming_up') continue;
        const judged = judge(m.n, expected, dropExpected ?? expected, spread, cfg);
        if (!judged) continue;
        const d = { ...judged, spread, baselineKind };
        const { windowStart } = alignedWindow(m.minute, span);
        const prev = worst.get(windowStart);
        if (!prev) worst.set(windowStart, { ...d, minute: m.minute, minutes: 1 });
        else if (d.z > prev.z) worst.set(windowStart, { ...d, minute: m.minute, minutes: d.kind === prev.kind ? prev.minutes + 1 : 1 });
        else if (d.kind === prev.kind) prev.minutes++;
      }
      for (const [windowStart, d] of worst) out.push(draft(ctx, cfg, a, windowStart, span, d));
    }
    return out;
  },
});

function draft(ctx: DetectContext, cfg: VolumeConfig, a: ApiWindow, windowStart: number, span: number, d: Deviation): FindingDraft {
  const { expected, spread, baselineKind } = d;
  const ratio = d.n / expected;
  const outbound = a.direction === 'outbound';
  const what = outbound ? `Calls to provider ${a.api}` : `Traffic to ${a.api}`;
  const baselineWords =
    baselineKind === 'seasonal'
      ? 'the same hour on previous days'
      : d.kind === 'drop'
        ? 'the previous hours (no seasonal history yet; the lower of their median and the latest hour)'
        : 'the previous hours (no seasonal history yet)';
  const at = hhmm(d.minute);
  let severity: FindingDraft['severity'];
  let title: string;
  let description: string;
  if (d.kind === 'drop') {
    severity = d.n <= cfg.nearZeroShare * expected ? 'high' : 'medium';
    title = `${what} dropped to ${d.n}/min at ${at} UTC (expected ${perMinute(expected)}/min)`;
    description =
      `${what} fell to ${d.n} events in the minute starting ${at} UTC, ${round(ratio * 100, 1)}% of the ${perMinute(expected)}/min expected from ${baselineWords}; robust z ${round(d.z, 1)}. ` +
      (outbound
        ? 'Check whether calls to the provider are failing before they are sent (circuit breaker, DNS, credentials) or the feature that calls it stopped.'
        : 'Check upstream: gateway or load-balancer health, DNS, a client release or an outage that stopped callers from reaching the api.');
  } else {
    // Without seasonal history a daily ramp (night to morning) can look like a spike: only a first doubt then.
    severity = baselineKind !== 'seasonal' ? 'low' : ratio >= cfg.highSpikeRatio ? 'high' : 'medium';
    title = `${what} spiked to ${d.n}/min at ${at} UTC, ${round(ratio, 1)}x the expected ${perMinute(expected)}/min`;
    description =
      `${what} reached ${d.n} events in the minute starting ${at} UTC, ${round(ratio, 1)} times the ${perMinute(expected)}/min expected from ${baselineWords}; robust z ${round(d.z, 1)}. ` +
      (outbound
        ? 'Check for a retry loop or a runaway job calling the provider: it costs quota and money.'
        : 'Check which clients drive the rise (burst and bot findings for the same window), and whether it is a launch or campaign or an abuse of resources.');
  }
  const minZ = d.kind === 'drop' ? cfg.dropMinZ : cfg.minZ;
  const confidence = Math.round(confidenceFrom(d.z, minZ, 3 * minZ) * (baselineKind === 'seasonal' ? 1 : 0.8) * 1000) / 1000;
  // A spike's events: those of the worst minute when this batch holds them, else the api's latest in the batch.
  let eventIds: string[] = [];
  if (d.kind === 'spike') {
    const ofApi = ctx.events.filter((e) => e.api === a.api && e.direction === a.direction);
    const inMinute = ofApi.filter((e) => e.timestamp >= d.minute && e.timestamp < d.minute + MINUTE);
    eventIds = sample((inMinute.length > 0 ? inMinute : ofApi.slice(-20)).map((e) => e.id));
  }
  const draft: FindingDraft = {
    detector: 'volume_anomaly',
    severity: severityOr(cfg.severity, severity),
    confidence,
    api: a.api,
    subject: { kind: 'api', value: a.api },
    windowStart,
    windowEnd: windowStart + span,
    title: clip(title),
    description: clip(description, 4000),
    evidence: {
      change: d.kind,
      observedPerMinute: d.n,
      expectedPerMinute: round(expected, 2),
      spreadPerMinute: round(spread, 2),
      ratio: round(ratio, 3),
      z: round(d.z, 2),
      baselineKind: baselineKind,
      direction: a.direction,
      minute: new Date(d.minute).toISOString(),
      anomalousMinutesInBatch: d.minutes,
    },
    eventIds,
  };
  if (d.kind === 'spike') draft.owasp = OWASP.RESOURCE_CONSUMPTION;
  return draft;
}

