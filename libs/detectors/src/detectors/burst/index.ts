import { z } from 'zod';
import type { Severity } from '@vigil/contracts';
import { round } from '../../stats.js';
import { defineDetector, type DetectContext, type FindingDraft, type SubjectWindow } from '../../types.js';
import { iso, MINUTE } from '../../units.js';
import { OWASP, clip, confidenceFrom, positiveInt, ratio, sample, severityOr, severityOverride } from '../common.js';

/** The `detectors.burst` config section. */
export const burstConfig = z
  .object({
    /** Current-minute rate over the subject's previous-hour per-minute rate. */
    minRatio: ratio.default(20),
    minRequestsPerMinute: positiveInt.default(60),
    /** Per-minute floor for a subject with no history: a new client is judged against this. */
    newSubjectBaselinePerMinute: ratio.default(3),
    severity: severityOverride,
  })
  .strict()
  .default({});

type BurstConfig = z.output<typeof burstConfig>;

/** A subject's busiest 60 seconds in a window: its calls, and when they started. */
export interface PeakMinute {
  minuteN: number;
  minuteStart: number;
}

/** Six 10-second slots: the minute a burst is counted in, wherever it falls. */
const SLOTS_PER_MINUTE = 6;

/** The busiest 60 seconds of each short subject window (the earliest of equals), in the order of ctx.subjects; long windows give none. */
export function peakMinutes(ctx: DetectContext): (PeakMinute | undefined)[] {
  return ctx.subjects.map((s) => (s.horizon === 'short' ? peakOf(s.slotCalls, s.windowStart) : undefined));
}

/** The largest sum of six consecutive slots (a sliding minute, 10-second steps), starting at its first call. */
export function peakOf(slotCalls: readonly number[], windowStart: number): PeakMinute {
  let minuteN = 0;
  let last = -1;
  let sum = 0;
  for (let i = 0; i < slotCalls.length; i++) {
    sum += slotCalls[i]!;
    if (i >= SLOTS_PER_MINUTE) sum -= slotCalls[i - SLOTS_PER_MINUTE]!;
    if (sum > minuteN) {
      minuteN = sum;
      last = i;
    }
  }
  // The busiest minute found ends with slot `last`; the minute from its first call holds the same calls.
  let first = Math.max(0, last - SLOTS_PER_MINUTE + 1);
  while (first < last && slotCalls[first] === 0) first++;
  return { minuteN, minuteStart: windowStart + Math.max(0, first) * 10_000 };
}
/**
 * Short bursts of one client: its busiest 60 seconds (sliding, wherever they
 * fall) against its per-minute rate over the previous hour (a subject with
 * no history is judged against newSubjectBaselinePerMinute).
 *
 * Fires when the minute's calls >= minRequestsPerMinute and >= minRatio x
 * baseline; medium, high from 5 x minRatio. One finding per episode (the
 * burst's overlapping windows), revised as it grows; a burst the subject
 * repeats (a job at :00) is usual from its second time on (low). Nothing
 * fires until the api itself has warmupHours of history (before that, every
 * client is "new" and previous-hour rates may cover only part of the hour).
 */
export const burst = defineDetector({
  name: 'burst',
  configSchema: burstConfig,
  view: peakMinutes,
  detect(ctx, cfg, peaks) {
    const out: FindingDraft[] = [];
    const warm = new Map<string, boolean>();
    ctx.subjects.forEach((s, i) => {
      const peak = peaks[i];
      if (!peak || peak.minuteN < cfg.minRequestsPerMinute) return;
      const baseline = s.baselinePerMinute ?? cfg.newSubjectBaselinePerMinute;
      if (peak.minuteN < cfg.minRatio * baseline) return;
      let isWarm = warm.get(s.api);
      if (isWarm === undefined) {
        isWarm = apiWarm(ctx, s.api);
        warm.set(s.api, isWarm);
      }
      if (isWarm) out.push(draft(s, peak, baseline, cfg, ctx.now));
    });
    return out;
  },
});

/** True when some inbound route of the api seen in this batch has warmupHours of baseline. */
function apiWarm(ctx: DetectContext, api: string): boolean {
  return ctx.routes.some((r) => r.api === api && r.direction === 'inbound' && r.baseline.hours >= ctx.config.warmupHours);
}

function draft(s: SubjectWindow, peak: PeakMinute, baseline: number, cfg: BurstConfig, now: number): FindingDraft {
  const { minuteN, minuteStart } = peak;
  // One call an hour as the floor, so a zero floor in the config cannot divide by zero.
  const ratio = minuteN / Math.max(baseline, 1 / 60);
  const computed: Severity = ratio >= 5 * cfg.minRatio ? 'high' : 'medium';
  const known = s.baselinePerMinute !== undefined;
  const who = clip(s.subject.value, 60);
  const base = round(baseline, 2);
  const against = known
    ? `its rate over the previous hour was ${base}/min`
    : `it was not seen in the previous hour, so it is judged against the new-client rate of ${base}/min`;
  return {
    detector: 'burst',
    severity: severityOr(cfg.severity, computed),
    confidence: confidenceFrom(ratio, cfg.minRatio, 5 * cfg.minRatio),
    api: s.api,
    subject: s.subject,
    windowStart: minuteStart,
    windowEnd: minuteStart + MINUTE,
    title: clip(`${who} sent ${minuteN} requests in one minute, ${round(ratio, 1)}x its usual ${base}/min`, 200),
    description:
      `${s.subject.kind} ${who} made ${minuteN} calls to ${s.api} in the minute from ${iso(minuteStart)} (counted up to ${iso(now)}); ` +
      `${against} (${round(ratio, 1)}x; thresholds ${cfg.minRatio}x and ${cfg.minRequestsPerMinute}/min). ` +
      `A sudden burst is scripted use, a retry storm or a runaway job: check the paths it hit and whether a rate limit applies.`,
    evidence: {
      requestsThisMinute: minuteN,
      baselinePerMinute: base,
      baselineKind: known ? 'previous_hour' : 'new_subject_floor',
      ratio: round(ratio, 2),
      minRatio: cfg.minRatio,
      minRequestsPerMinute: cfg.minRequestsPerMinute,
      requestsThis5Min: s.n,
      samplePaths: sample(s.samplePaths, 10).join(', ').slice(0, 1024),
    },
    owasp: OWASP.RESOURCE_CONSUMPTION,
    eventIds: sample(s.sampleEventIds),
    episode: { from: minuteStart, to: minuteStart + MINUTE },
    magnitude: minuteN,
    usual: { ips: s.ips },
  };
}
