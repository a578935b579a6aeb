import type { ApiTransaction, Finding, Severity } from '@vigil/contracts';
import type { ApiMinuteOutcome } from '@vigil/detectors';
import type { InputTally } from '@vigil/ingest';

/**
 * What `vigil backtest --report` draws, gathered while the backtest runs, in bounded memory: per api the
 * events of each minute (the traffic), the expectation and spread of each minute the engine closed (the
 * baseline band), the findings (at most `MAX_FINDINGS` kept whole, all counted), and what the input
 * lacked. Attacker-controlled text is kept as it is here, cut to the contract's bounds; the renderer
 * escapes it.
 */

/** Apis drawn (the busiest; the rest are counted in a line). */
export const MAX_APIS = 12;
/** Minutes kept per api: two weeks. */
export const MAX_MINUTES = 14 * 24 * 60;
/** Findings kept whole (the most severe first); every finding is counted. */
export const MAX_FINDINGS = 2000;
/** Apis tracked at all (each costs its minutes). */
const MAX_TRACKED_APIS = 200;

export interface ApiSeries {
  api: string;
  direction: string;
  events: number;
  /** Minute start (ms) → events. */
  minutes: Map<number, number>;
  /** Minute start (ms) → [expected, spread], for minutes the engine closed after its warm-up. */
  baseline: Map<number, [number, number]>;
}

export interface ReportInput {
  title: string;
  inputs: readonly string[];
  format: string;
  tally: InputTally;
  /** Fields the format never carries. */
  lacks: readonly string[];
  generatedAt: string;
  seconds: number;
}

export class ReportCollector {
  readonly apis = new Map<string, ApiSeries>();
  untrackedApiEvents = 0;
  readonly findings: Finding[] = [];
  findingCount = 0;
  readonly byDetectorSeverity = new Map<string, Map<Severity, number>>();
  readonly subjects = new Map<string, { kind: string; value: string; findings: number; worst: Severity; detectors: Set<string> }>();
  first: number | undefined;
  last: number | undefined;

  event(e: ApiTransaction): void {
    const key = `${e.api}\u0000${e.direction}`;
    let s = this.apis.get(key);
    if (!s) {
      if (this.apis.size >= MAX_TRACKED_APIS) {
        this.untrackedApiEvents++;
        return;
      }
      s = { api: e.api, direction: e.direction, events: 0, minutes: new Map(), baseline: new Map() };
      this.apis.set(key, s);
    }
    s.events++;
    const minute = e.timestamp - (e.timestamp % 60_000);
    const n = s.minutes.get(minute);
    if (n !== undefined) s.minutes.set(minute, n + 1);
    else if (s.minutes.size < MAX_MINUTES) s.minutes.set(minute, 1);
    if (this.first === undefined || e.timestamp < this.first) this.first = e.timestamp;
    if (this.last === undefined || e.timestamp > this.last) this.last = e.timestamp;
  }

  minutes(outcomes: readonly ApiMinuteOutcome[] | undefined): void {
    for (const m of outcomes ?? []) {
      if (m.expected === undefined || m.spread === undefined) continue;
      const s = this.apis.get(`${m.api}\u0000${m.direction}`);
      if (s && s.baseline.size < MAX_MINUTES) s.baseline.set(m.minute, [m.expected, m.spread]);
    }
  }

  finding(f: Finding): void {
    this.findingCount++;
    let row = this.byDetectorSeverity.get(f.detector);
    if (!row) this.byDetectorSeverity.set(f.detector, (row = new Map()));
    row.set(f.severity, (row.get(f.severity) ?? 0) + 1);
    const key = `${f.subject.kind}:${f.subject.value}`;
    const s = this.subjects.get(key);
    if (s) {
      s.findings++;
      s.detectors.add(f.detector);
      if (rank(f.severity) > rank(s.worst)) s.worst = f.severity;
    } else if (this.subjects.size < 10_000) this.subjects.set(key, { kind: f.subject.kind, value: f.subject.value, findings: 1, worst: f.severity, detectors: new Set([f.detector]) });
    if (this.findings.length < MAX_FINDINGS) this.findings.push(f);
    else {
      // Keep the most severe: replace the least severe kept one if this one is worse.
      let low = 0;
      for (let i = 1; i < this.findings.length; i++) if (rank(this.findings[i]!.severity) < rank(this.findings[low]!.severity)) low = i;
      if (rank(f.severity) > rank(this.findings[low]!.severity)) this.findings[low] = f;
    }
  }
}

const RANKS: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
export const rank = (s: Severity) => RANKS[s];
