import type { DetectorName } from '@vigil/contracts';
import type { Label } from './ground-truth.js';
import { atLeastMedium, detectorRows, type ScenarioScore, type ScoredFinding } from './score.js';

const WEEK_MS = 7 * 24 * 3_600_000;

/** The bar of detection over time (issue 25). */
export const OVER_TIME_BAR = Object.freeze({ minPrecision: 0.95, maxAlertsPerPattern: 1 });

/** One 7-day block of a run (the last may be shorter): its findings outside labels and patterns. */
export interface WeekOfStrays {
  /** 1 for the run's first seven days. */
  week: number;
  from: number;
  to: number;
  /** Findings outside labels and patterns, any severity. */
  findings: number;
  /** Those at medium or above (strays), per detector. */
  alerts: number;
  byDetector: Partial<Record<DetectorName, number>>;
}

/** A run's findings outside its labels and patterns, week by week (7-day blocks from its start). */
export function strayWeeks(score: ScenarioScore): WeekOfStrays[] {
  const end = score.start + score.hours * 3_600_000;
  const weeks: WeekOfStrays[] = [];
  for (let from = score.start, week = 1; from < end; from += WEEK_MS, week++) weeks.push({ week, from, to: Math.min(end, from + WEEK_MS), findings: 0, alerts: 0, byDetector: {} });
  for (const f of score.unmatched) {
    const w = weeks[Math.min(weeks.length - 1, Math.max(0, Math.floor((f.windowStart - score.start) / WEEK_MS)))];
    if (!w) continue;
    w.findings++;
    if (atLeastMedium(f)) {
      w.alerts++;
      w.byDetector[f.detector] = (w.byDetector[f.detector] ?? 0) + 1;
    }
  }
  return weeks;
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const clock = (t: number) => new Date(t).toISOString().slice(11, 16);
const counts = (byDetector: Partial<Record<string, number>>) =>
  Object.entries(byDetector)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([d, n]) => `${d} ${n}`)
    .join(', ');

function missed(scenario: string, l: Label): string {
  const about = l.subject ? ` about ${l.subject.kind} ${l.subject.value}` : '';
  return `${scenario}: ${l.detector} missed "${l.description}" (${l.api}${about}, ${day(l.start)} ${clock(l.start)}–${clock(l.end)})`;
}

function strayProblem(score: ScenarioScore, w: WeekOfStrays, weeks: number): string {
  const perWeek = score.allowance!.perWeek;
  if (perWeek === 0) return `${score.scenario}: ${w.alerts} findings at medium or above outside its labels and patterns (${counts(w.byDetector)}); ordinary days allow none`;
  const which = weeks > 1 ? `week ${w.week} (from ${day(w.from)})` : 'the run';
  return `${score.scenario}: ${which} has ${w.alerts} findings at medium or above outside the injected anomalies (${counts(w.byDetector)}); at most ${perWeek} a week`;
}

/**
 * Every miss of the bar of detection over time, as a sentence: each attack
 * label of every scenario found (recall 1.00), precision ≥ 0.95 per
 * detector over all scenarios, at most one alert (a finding at medium or
 * above) per recurring pattern over its whole run, and, in the scenarios
 * with an allowance, no more findings at medium or above outside labels and
 * patterns than it allows per week (clean-day and bau none, busy-api one).
 */
export function overTimeProblems(scores: readonly ScenarioScore[]): string[] {
  const problems: string[] = [];
  for (const sc of scores) for (const l of sc.labels) if (l.findings === 0) problems.push(missed(sc.scenario, l.label));
  for (const r of detectorRows(scores)) {
    if (r.labels === 0 && r.falseFindings === 0) continue;
    if (r.precision < OVER_TIME_BAR.minPrecision) problems.push(`${r.detector}: precision ${r.precision.toFixed(2)} < ${OVER_TIME_BAR.minPrecision} (${r.falseFindings} false findings at medium or above, ${r.matched} matching)`);
  }
  for (const sc of scores) {
    for (const p of sc.patterns) {
      if (p.alerts > OVER_TIME_BAR.maxAlertsPerPattern) {
        const by = counts(Object.fromEntries(Object.entries(p.byDetector).map(([d, c]) => [d, c.alerts])));
        problems.push(`${sc.scenario}: the recurring pattern ${p.pattern.name} raised ${p.alerts} alerts over the run (${by}); at most ${OVER_TIME_BAR.maxAlertsPerPattern}`);
      }
    }
  }
  for (const sc of scores) {
    if (!sc.allowance) continue;
    const weeks = strayWeeks(sc);
    for (const w of weeks) if (w.alerts > sc.allowance.perWeek) problems.push(strayProblem(sc, w, weeks.length));
  }
  return problems;
}

/** Findings at medium or above outside labels and patterns: the strays of a run. */
export const strays = (score: ScenarioScore): ScoredFinding[] => score.unmatched.filter(atLeastMedium);
