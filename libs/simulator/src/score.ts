import { severityRank, type DetectorName, type Finding } from '@vigil/contracts';
import type { Label } from './scenarios.js';

/** A finding counts for a label from a little before the attack to this long after it ends (windows are aligned, detectors confirm late). */
const BEFORE_MS = 5 * 60_000;
const AFTER_MS = 30 * 60_000;

export interface DetectorScore {
  detector: DetectorName;
  labels: number;
  detected: number;
  /** Findings that match a label. */
  matched: number;
  /** Findings at medium or above that match no label: what would reach a person for nothing. */
  falseFindings: number;
  /** Findings below medium that match no label (logged only). */
  lowNoise: number;
  /** Event-time ms from each detected label's start to its first matching finding. */
  delaysMs: number[];
}

export interface ScenarioScore {
  scenario: string;
  hours: number;
  byDetector: Map<DetectorName, DetectorScore>;
}

export function matches(f: Pick<Finding, 'detector' | 'api' | 'subject' | 'windowStart' | 'windowEnd'>, l: Label): boolean {
  if (f.detector !== l.detector || f.api !== l.api) return false;
  if (l.subject && (f.subject.kind !== l.subject.kind || f.subject.value !== l.subject.value)) return false;
  return f.windowEnd >= l.start - BEFORE_MS && f.windowStart <= l.end + AFTER_MS;
}

/** Scores one scenario's findings against its labels, per detector. */
export function scoreScenario(scenario: string, hours: number, labels: readonly Label[], findings: readonly Finding[]): ScenarioScore {
  const byDetector = new Map<DetectorName, DetectorScore>();
  const entry = (d: DetectorName) => {
    let s = byDetector.get(d);
    if (!s) byDetector.set(d, (s = { detector: d, labels: 0, detected: 0, matched: 0, falseFindings: 0, lowNoise: 0, delaysMs: [] }));
    return s;
  };
  for (const l of labels) {
    const s = entry(l.detector);
    s.labels++;
    const hits = findings.filter((f) => matches(f, l));
    if (hits.length > 0) {
      s.detected++;
      s.delaysMs.push(Math.max(0, Math.min(...hits.map((f) => f.detectedAt)) - l.start));
    }
  }
  for (const f of findings) {
    const s = entry(f.detector);
    if (labels.some((l) => matches(f, l))) s.matched++;
    else if (severityRank(f.severity) >= severityRank('medium')) s.falseFindings++;
    else s.lowNoise++;
  }
  return { scenario, hours, byDetector };
}

export interface DetectorRow {
  detector: DetectorName;
  labels: number;
  detected: number;
  matched: number;
  falseFindings: number;
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
 * Per detector over all scenarios: precision = matched / (matched + false
 * findings at medium or above), recall = labels detected / labels, median
 * delay from attack start to first matching finding (event time).
 */
export function scoreboard(scores: readonly ScenarioScore[], clean: { hours: number; findings: readonly Pick<Finding, 'severity'>[] }): Scoreboard {
  const all = new Map<DetectorName, DetectorScore>();
  for (const sc of scores) {
    for (const s of sc.byDetector.values()) {
      const a = all.get(s.detector) ?? { detector: s.detector, labels: 0, detected: 0, matched: 0, falseFindings: 0, lowNoise: 0, delaysMs: [] };
      a.labels += s.labels;
      a.detected += s.detected;
      a.matched += s.matched;
      a.falseFindings += s.falseFindings;
      a.lowNoise += s.lowNoise;
      a.delaysMs.push(...s.delaysMs);
      all.set(s.detector, a);
    }
  }
  const rows = [...all.values()]
    .map((s) => {
      const med = median(s.delaysMs);
      return {
        detector: s.detector,
        labels: s.labels,
        detected: s.detected,
        matched: s.matched,
        falseFindings: s.falseFindings,
        precision: s.matched + s.falseFindings === 0 ? 1 : s.matched / (s.matched + s.falseFindings),
        recall: s.labels === 0 ? 1 : s.detected / s.labels,
        medianDelaySeconds: med === null ? null : Math.round(med / 1000),
      };
    })
    .sort((a, b) => a.detector.localeCompare(b.detector));
  return {
    rows,
    cleanFindingsPerHour: clean.findings.length / clean.hours,
    cleanMediumOrAbove: clean.findings.filter((f) => severityRank(f.severity) >= severityRank('medium')).length,
  };
}

/** The bar of issue 5: precision and recall ≥ 0.9 per detector, median delay ≤ 60 s for the fast attacks, a clean day with nothing at medium or above. */
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
