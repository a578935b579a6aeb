import { severityRank, type DetectorName, type Finding, type SubjectKind } from '@vigil/contracts';
import type { Label, Occurrence, RecurringPattern, StrayAllowance } from './ground-truth.js';

/** A finding counts for a label or an occurrence from a little before it to this long after it ends (windows are aligned, detectors confirm late). */
const BEFORE_MS = 5 * 60_000;
const AFTER_MS = 30 * 60_000;
const HOUR_MS = 3_600_000;

/** What scoring reads of a finding. */
export type ScoredFinding = Pick<Finding, 'detector' | 'severity' | 'api' | 'subject' | 'windowStart' | 'windowEnd' | 'detectedAt'> & Partial<Pick<Finding, 'title' | 'id' | 'evidence'>>;

/**
 * One finding per window: a window published again, raised or revised (evidence `updates: <first id>`), is the
 * finding it updates, grown: at the highest severity it reached, its window as far as it went, found when it was
 * first published. A person is alerted once per window, however often its evidence is brought up to date.
 */
export function perWindow<F extends ScoredFinding>(findings: readonly F[]): F[] {
  const byWindow = new Map<string, F>();
  const order: string[] = [];
  findings.forEach((f, i) => {
    const updates = f.evidence?.updates;
    const key = typeof updates === 'string' ? updates : (f.id ?? `#${i}`);
    const held = byWindow.get(key);
    if (!held) {
      byWindow.set(key, f);
      order.push(key);
      return;
    }
    byWindow.set(key, {
      ...f,
      severity: severityRank(f.severity) > severityRank(held.severity) ? f.severity : held.severity,
      windowStart: Math.min(held.windowStart, f.windowStart),
      windowEnd: Math.max(held.windowEnd, f.windowEnd),
      detectedAt: Math.min(held.detectedAt, f.detectedAt),
    });
  });
  return order.map((k) => byWindow.get(k)!);
}

export const atLeastMedium = (f: Pick<Finding, 'severity'>) => severityRank(f.severity) >= severityRank('medium');

export interface DetectorScore {
  detector: DetectorName;
  labels: number;
  detected: number;
  /** Findings that match a label. */
  matched: number;
  /** Findings at medium or above that match no label and no recurring pattern: what would reach a person for nothing. */
  falseFindings: number;
  /** Findings below medium that match no label and no pattern (logged only). */
  lowNoise: number;
  /** Findings that match a recurring pattern (and no label): judged per pattern, not here. */
  patternFindings: number;
  /** Event-time ms from each detected label's start to its first matching finding. */
  delaysMs: number[];
}

/** An attack label and the findings that found it. */
export interface LabelOutcome {
  label: Label;
  findings: number;
  firstDetectedAt?: number;
}

/** A recurring pattern and what the detectors made of it over the whole run. */
export interface PatternScore {
  pattern: RecurringPattern;
  /** Findings that match it, any severity (each finding once, however many occurrences it overlaps). */
  findings: number;
  /** Those at medium or above: the pattern's alerts. */
  alerts: number;
  byDetector: Partial<Record<DetectorName, { findings: number; alerts: number }>>;
}

export interface ScenarioScore {
  scenario: string;
  start: number;
  hours: number;
  byDetector: Map<DetectorName, DetectorScore>;
  labels: LabelOutcome[];
  patterns: PatternScore[];
  /** Findings that match neither a label nor a pattern, any severity. */
  unmatched: ScoredFinding[];
  allowance?: StrayAllowance;
}

/** A run's ground truth: what `simulate()` returns beside the events. */
export interface RunTruth {
  scenario: string;
  start: number;
  end: number;
  labels: readonly Label[];
  patterns?: readonly RecurringPattern[];
  allowance?: StrayAllowance;
}

const overlaps = (f: Pick<Finding, 'windowStart' | 'windowEnd'>, span: Occurrence) => f.windowEnd >= span.start - BEFORE_MS && f.windowStart <= span.end + AFTER_MS;

export function matches(f: Pick<Finding, 'detector' | 'api' | 'subject' | 'windowStart' | 'windowEnd'>, l: Label): boolean {
  if (f.detector !== l.detector || f.api !== l.api) return false;
  if (l.subject && (f.subject.kind !== l.subject.kind || f.subject.value !== l.subject.value)) return false;
  return overlaps(f, l);
}

/** Subjects that are someone (an actor); a finding about a route or the whole api is about no one in particular. */
const actors: ReadonlySet<SubjectKind> = new Set(['principal', 'ip', 'client']);

/**
 * A finding matches a recurring pattern when its detector is one the pattern
 * lists, on the same api, about the pattern's subject when it has one (a
 * finding about a route or the whole api, volume say, is matched on the api),
 * and its window overlaps an occurrence with the labels' tolerance.
 */
export function matchesPattern(f: Pick<Finding, 'detector' | 'api' | 'subject' | 'windowStart' | 'windowEnd'>, p: RecurringPattern): boolean {
  if (f.api !== p.api || !p.detectors.includes(f.detector)) return false;
  if (p.subject && actors.has(f.subject.kind) && (f.subject.kind !== p.subject.kind || f.subject.value !== p.subject.value)) return false;
  return p.occurrences.some((o) => overlaps(f, o));
}

const emptyDetectorScore = (detector: DetectorName): DetectorScore => ({ detector, labels: 0, detected: 0, matched: 0, falseFindings: 0, lowNoise: 0, patternFindings: 0, delaysMs: [] });

/**
 * Scores a run's findings against its ground truth. A finding that matches
 * an attack label counts for the attack (even if it also matches a pattern);
 * one that matches a pattern counts once for each pattern it matches;
 * the rest are unmatched (false findings at medium or above).
 */
export function scoreRun(truth: RunTruth, published: readonly ScoredFinding[]): ScenarioScore {
  const findings = perWindow(published);
  const byDetector = new Map<DetectorName, DetectorScore>();
  const entry = (d: DetectorName) => {
    let s = byDetector.get(d);
    if (!s) byDetector.set(d, (s = emptyDetectorScore(d)));
    return s;
  };
  const labels = truth.labels.map((label): LabelOutcome => {
    const s = entry(label.detector);
    s.labels++;
    const hits = findings.filter((f) => matches(f, label));
    if (hits.length === 0) return { label, findings: 0 };
    const first = Math.min(...hits.map((f) => f.detectedAt));
    s.detected++;
    s.delaysMs.push(Math.max(0, first - label.start));
    return { label, findings: hits.length, firstDetectedAt: first };
  });
  const patterns = (truth.patterns ?? []).map((pattern): PatternScore => ({ pattern, findings: 0, alerts: 0, byDetector: {} }));
  const unmatched: ScoredFinding[] = [];
  for (const f of findings) {
    const s = entry(f.detector);
    if (truth.labels.some((l) => matches(f, l))) {
      s.matched++;
      continue;
    }
    const hit = patterns.filter((p) => matchesPattern(f, p.pattern));
    for (const p of hit) {
      const d = (p.byDetector[f.detector] ??= { findings: 0, alerts: 0 });
      p.findings++;
      d.findings++;
      if (atLeastMedium(f)) {
        p.alerts++;
        d.alerts++;
      }
    }
    if (hit.length > 0) s.patternFindings++;
    else {
      unmatched.push(f);
      if (atLeastMedium(f)) s.falseFindings++;
      else s.lowNoise++;
    }
  }
  return { scenario: truth.scenario, start: truth.start, hours: (truth.end - truth.start) / HOUR_MS, byDetector, labels, patterns, unmatched, allowance: truth.allowance };
}

/** Scores one scenario's findings against its attack labels, per detector (a run without patterns, judged on precision and recall). */
export function scoreScenario(scenario: string, hours: number, labels: readonly Label[], findings: readonly ScoredFinding[]): ScenarioScore {
  return scoreRun({ scenario, start: 0, end: hours * HOUR_MS, labels }, findings);
}

export interface DetectorRow {
  detector: DetectorName;
  labels: number;
  detected: number;
  matched: number;
  falseFindings: number;
  patternFindings: number;
  precision: number;
  recall: number;
  medianDelaySeconds: number | null;
}

export interface Scoreboard {
  rows: DetectorRow[];
  /** Findings of any severity on the clean day, per hour; and those at medium or above. */
  cleanFindingsPerHour: number;
  cleanMediumOrAbove: number;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Per detector over the scenarios given: precision = matched / (matched +
 * false findings at medium or above), recall = labels detected / labels,
 * median delay from attack start to first matching finding (event time).
 * Findings of recurring patterns count in neither.
 */
export function detectorRows(scores: readonly ScenarioScore[]): DetectorRow[] {
  const all = new Map<DetectorName, DetectorScore>();
  for (const sc of scores) {
    for (const s of sc.byDetector.values()) {
      const a = all.get(s.detector) ?? emptyDetectorScore(s.detector);
      a.labels += s.labels;
      a.detected += s.detected;
      a.matched += s.matched;
      a.falseFindings += s.falseFindings;
      a.lowNoise += s.lowNoise;
      a.patternFindings += s.patternFindings;
      a.delaysMs.push(...s.delaysMs);
      all.set(s.detector, a);
    }
  }
  return [...all.values()]
    .map((s) => {
      const med = median(s.delaysMs);
      return {
        detector: s.detector,
        labels: s.labels,
        detected: s.detected,
        matched: s.matched,
        falseFindings: s.falseFindings,
        patternFindings: s.patternFindings,
        precision: s.matched + s.falseFindings === 0 ? 1 : s.matched / (s.matched + s.falseFindings),
        recall: s.labels === 0 ? 1 : s.detected / s.labels,
        medianDelaySeconds: med === null ? null : Math.round(med / 1000),
      };
    })
    .sort((a, b) => a.detector.localeCompare(b.detector));
}

/** The per-detector rows and the clean day's figures. */
export function scoreboard(scores: readonly ScenarioScore[], clean: { hours: number; findings: readonly Pick<Finding, 'severity'>[] }): Scoreboard {
  return {
    rows: detectorRows(scores),
    cleanFindingsPerHour: clean.findings.length / clean.hours,
    cleanMediumOrAbove: clean.findings.filter(atLeastMedium).length,
  };
}

/** The bar of issue 5 (the single-day scenarios): precision and recall ≥ 0.9 per detector, median delay ≤ 60 s for the fast attacks, a clean day with nothing at medium or above. */
export function qualityProblems(board: Scoreboard): string[] {
  const problems: string[] = [];
  const fast = new Set<string>(['burst', 'bola_enumeration', 'bot', 'credential_stuffing']);
  for (const r of board.rows) {
    if (r.labels === 0 && r.falseFindings === 0) continue;
    if (r.precision < 0.9) problems.push(`${r.detector}: precision ${r.precision.toFixed(2)} < 0.9`);
    if (r.recall < 0.9) problems.push(`${r.detector}: recall ${r.recall.toFixed(2)} < 0.9`);
    if (fast.has(r.detector) && (r.medianDelaySeconds === null || r.medianDelaySeconds > 60)) problems.push(`${r.detector}: median delay ${r.medianDelaySeconds ?? '–'} s > 60 s`);
  }
  if (board.cleanMediumOrAbove > 0) problems.push(`the clean day has ${board.cleanMediumOrAbove} findings at medium or above`);
  return problems;
}
