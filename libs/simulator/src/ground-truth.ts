import type { DetectorName, Subject } from '@vigil/contracts';

/** Ground truth: an attack a detector should find, about whom, where and when (event time, ms). */
export interface Label {
  scenario: string;
  detector: DetectorName;
  api: string;
  subject?: Subject;
  start: number;
  end: number;
  description: string;
}

/** One time a recurring pattern happened (event time, ms). */
export interface Occurrence {
  start: number;
  end: number;
}

/**
 * Ground truth of the other kind: legitimate work that comes back (a batch
 * job every hour, a nightly sync, a popular download, a flash sale the team
 * planned). Detectors listed may react to it, since it does look unusual, but
 * it must not keep paging: the scoreboard counts its findings at medium or
 * above over the whole run ("alerts") and allows one.
 */
export interface RecurringPattern {
  scenario: string;
  /** Short and stable: `hourly-invoicing`. */
  name: string;
  description: string;
  /** The detectors that may react to it (a finding from any other detector is a false finding). */
  detectors: readonly DetectorName[];
  api: string;
  /** Who does it, when one subject does (a finding about a route or the whole api is matched on the api alone). */
  subject?: Subject;
  occurrences: readonly Occurrence[];
}

/**
 * What a scenario's ordinary traffic may raise outside its labels and
 * patterns: findings at medium or above per week of the run (counted in
 * 7-day blocks from its start). A clean day allows none; a busy api with
 * heavy-tailed traffic one a week. Scenarios without an allowance are
 * judged on precision alone.
 */
export interface StrayAllowance {
  perWeek: number;
}
