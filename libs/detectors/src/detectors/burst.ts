import type { Severity } from '@vigil/contracts';
import { round } from '../stats.js';
import type { DetectContext, Detector, FindingDraft, SubjectWindow } from '../types.js';
import { OWASP, confidenceFrom, sample, severityOr } from './common.js';

const MINUTE = 60_000;

/**
 * Short bursts of one client: its calls in the current minute against its
 * per-minute rate over the previous hour (a subject with no history is judged
 * against newSubjectBaselinePerMinute).
 *
 * Fires when minuteN >= minRequestsPerMinute and minuteN >= minRatio x baseline;
 * medium, high from 5 x minRatio. Window: the minute. Nothing fires until the
 * api itself has warmupHours of history (before that, every client is "new"
 * and previous-hour rates may cover only part of the hour).
 */
export const burst: Detector = {
  name: 'burst',
  detect(ctx) {
    const cfg = ctx.config.burst;
    const out: FindingDraft[] = [];
    const warm = new Map<string, boolean>();
    for (const s of ctx.subjects) {
      if (s.minuteN < cfg.minRequestsPerMinute) continue;
      const baseline = s.baselinePerMinute ?? cfg.newSubjectBaselinePerMinute;
      if (s.minuteN < cfg.minRatio * baseline) continue;
      let isWarm = warm.get(s.api);
      if (isWarm === undefined) {
        isWarm = apiWarm(ctx, s.api);
        warm.set(s.api, isWarm);
      }
      if (!isWarm) continue;
      out.push(draft(s, baseline, cfg, ctx.now));
    }
    return out;
  },
};

/** True when some inbound route of the api seen in this batch has warmupHours of baseline. */
function apiWarm(ctx: DetectContext, api: string): boolean {
  return ctx.routes.some((r) => r.api === api && r.direction === 'inbound' && r.baseline.hours >= ctx.config.warmupHours);
}

type BurstConfig = {
  minRatio: number;
  minRequestsPerMinute: number;
  newSubjectBaselinePerMinute: number;
  severity?: Severity | undefined;
};

function draft(s: SubjectWindow, baseline: number, cfg: BurstConfig, now: number): FindingDraft {
  // One call an hour as the floor, so a zero floor in the config cannot divide by zero.
  const ratio = s.minuteN / Math.max(baseline, 1 / 60);
  const computed: Severity = ratio >= 5 * cfg.minRatio ? 'high' : 'medium';
  const known = s.baselinePerMinute !== undefined;
  const who = short(s.subject.value, 60);
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
    windowStart: s.minuteStart,
    windowEnd: s.minuteStart + MINUTE,
    title: short(`${who} sent ${s.minuteN} requests in one minute, ${round(ratio, 1)}x its usual ${base}/min`, 200),
    description:
      `${s.subject.kind} ${who} made ${s.minuteN} calls to ${s.api} in the minute from ${iso(s.minuteStart)} (counted up to ${iso(now)}); ` +
      `${against} (${round(ratio, 1)}x; thresholds ${cfg.minRatio}x and ${cfg.minRequestsPerMinute}/min). ` +
      `A sudden burst is scripted use, a retry storm or a runaway job: check the paths it hit and whether a rate limit applies.`,
    evidence: {
      requestsThisMinute: s.minuteN,
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
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function short(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
