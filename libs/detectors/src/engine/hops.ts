import type { SubjectHorizon, TrailHorizon } from '../types.js';
import { HOUR, MINUTE } from '../units.js';

/**
 * Windows that slide with a subject's calls. A window of length W is judged
 * at the end of each step (a grid of event time) in which the subject called:
 * the window [end − W, end) is judged when the subject's next call falls
 * at or past `end`, before that call is counted, so it holds exactly the
 * calls before its end, whichever batch they came in (the same windows for batches of
 * 25 and of 5,000). The window of the subject's latest step is also judged
 * at the end of a batch, marked not final: later calls in the same step may
 * still come, and it is judged again, whole, when they have.
 *
 * An attack of length up to W − step lies inside some judged window
 * wherever it falls relative to the clock.
 */
export interface Hop {
  windowMs: number;
  stepMs: number;
}

export const SUBJECT_HOPS: Readonly<Record<SubjectHorizon, Hop>> = Object.freeze({
  short: { windowMs: 5 * MINUTE, stepMs: 30_000 },
  long: { windowMs: HOUR, stepMs: 5 * MINUTE },
});

/** The fast horizon's window is the enumeration window of the config (bola_enumeration.windowMs). */
export function trailHops(enumerationWindowMs: number): Readonly<Record<TrailHorizon, Hop>> {
  return { fast: { windowMs: enumerationWindowMs, stepMs: 10_000 }, slow: { windowMs: 30 * MINUTE, stepMs: MINUTE } };
}

/** The end of the step holding `t`. */
export function stepEnd(t: number, stepMs: number): number {
  return (Math.floor(t / stepMs) + 1) * stepMs;
}

/**
 * The end of the window to judge before counting a call at `t`, given the
 * subject's previous call at `last` and the last end judged: the end of the
 * previous call's step when the new call falls past it and it is not judged
 * yet; undefined otherwise.
 */
export function endToJudge(hop: Hop, last: number | undefined, t: number, judgedUpTo: number | undefined): number | undefined {
  if (last === undefined) return undefined;
  const end = stepEnd(last, hop.stepMs);
  if (t < end) return undefined;
  if (judgedUpTo !== undefined && judgedUpTo >= end) return undefined;
  return end;
}
