import type { ApiTransaction } from '@vigil/contracts';
import type { Label, RecurringPattern, StrayAllowance } from '../ground-truth.js';
import type { Random } from '../random.js';
import type { ThreatEntry } from '../scenarios.js';

/** What a long run is built from: its span, the seeded source, and the background's size when the caller sets it. */
export interface LongRunContext {
  scenario: string;
  start: number;
  end: number;
  r: Random;
  clients?: number;
  peakSessionsPerMinute?: number;
}

/** A long run's traffic (in any order: simulate() sorts it and cuts it to the span) and its ground truth. */
export interface LongRunTraffic {
  events: ApiTransaction[];
  labels: Label[];
  patterns: RecurringPattern[];
  threats?: ThreatEntry[];
}

/**
 * A scenario over hours or days that makes its own traffic: the
 * business-as-usual days, the slow attacks, the busy api. Times inside are
 * offsets from the run's start, so `--start` moves the whole run.
 */
export interface LongRun {
  summary: string;
  defaultStart: number;
  defaultHours: number;
  /** Findings at medium or above that its ordinary traffic may raise outside labels and patterns, when the run is judged on it. */
  allowance?: StrayAllowance;
  build(ctx: LongRunContext): LongRunTraffic;
}

/** A long-run piece of legitimate work: its calls and the pattern that labels them. */
export interface RecurringWork {
  events: ApiTransaction[];
  pattern: RecurringPattern;
}

/** Event ids of one part of a run: `<prefix>-0`, `<prefix>-1`, … */
export function idSource(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}-${n++}`;
}

/** Each full hour (:00) from `start` (included when it is one) to before `end`. */
export function topsOfHours(start: number, end: number, hourMs = 3_600_000): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(start / hourMs) * hourMs; t < end; t += hourMs) out.push(t);
  return out;
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
