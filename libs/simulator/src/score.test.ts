import { describe, expect, it } from 'vitest';
import type { DetectorName, Severity, Subject } from '@vigil/contracts';
import type { Label, RecurringPattern } from './ground-truth.js';
import { overTimeProblems, strayWeeks } from './score-over-time.js';
import { matchesPattern, perWindow, scoreRun, type ScoredFinding } from './score.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 10, 19);
const svc: Subject = { kind: 'principal', value: 'svc-invoicing' };

/** A finding made by hand: a minute's window at `at`, detected at its end. */
function finding(detector: DetectorName, at: number, over: Partial<ScoredFinding> = {}): ScoredFinding {
  return { detector, severity: 'medium', api: 'orders', subject: svc, windowStart: at, windowEnd: at + MIN, detectedAt: at + MIN, ...over };
}

/** An hourly job on orders by svc-invoicing, 00:00 to 03:00, bola and bot may react. */
const hourly: RecurringPattern = {
  scenario: 's',
  name: 'hourly-invoicing',
  description: 'an hourly batch job',
  detectors: ['bola_enumeration', 'bot'],
  api: 'orders',
  subject: svc,
  occurrences: [0, 1, 2, 3].map((h) => ({ start: T0 + h * HOUR, end: T0 + h * HOUR + MIN })),
};
const sale: RecurringPattern = { scenario: 's', name: 'flash-sale', description: 'a sale', detectors: ['volume_anomaly'], api: 'orders', occurrences: [{ start: T0 + 2 * HOUR, end: T0 + 4 * HOUR }] };
const attack: Label = { scenario: 's', detector: 'bola_enumeration', api: 'orders', subject: svc, start: T0 + 2 * HOUR, end: T0 + 2 * HOUR + 2 * MIN, description: 'the job account, stolen, reads foreign orders' };
const run = (over: Partial<Parameters<typeof scoreRun>[0]> = {}) => ({ scenario: 's', start: T0, end: T0 + 24 * HOUR, labels: [] as Label[], patterns: [hourly, sale], ...over });

describe('scoring findings against attack labels and recurring patterns', () => {
  it('scores a window once, however often it was published again (raised or revised: evidence updates)', () => {
    const first = finding('bot', T0 + HOUR + 10_000, { id: 'bot-w', severity: 'low' });
    const revised = finding('bot', T0 + HOUR + 10_000, { id: 'bot-w-r9', severity: 'low', windowEnd: T0 + HOUR + 20 * MIN, detectedAt: T0 + HOUR + 20 * MIN, evidence: { updates: 'bot-w' } });
    const raised = finding('bot', T0 + HOUR + 10_000, { id: 'bot-w-medium', windowEnd: T0 + HOUR + 5 * MIN, detectedAt: T0 + HOUR + 5 * MIN, evidence: { updates: 'bot-w' } });
    expect(perWindow([first, revised, raised])).toEqual([{ ...raised, severity: 'medium', windowStart: first.windowStart, windowEnd: revised.windowEnd, detectedAt: first.detectedAt }]);
    expect(scoreRun(run(), [first, revised, raised]).patterns[0]).toMatchObject({ findings: 1, alerts: 1 });
    // Without ids, every finding is its own.
    expect(perWindow([finding('bot', T0), finding('bot', T0)])).toHaveLength(2);
  });

  it('counts a finding at medium or above that matches a pattern as one alert of that pattern, not a false finding', () => {
    const score = scoreRun(run(), [finding('bot', T0 + HOUR + 10_000, { severity: 'high' })]);
    expect(score.patterns[0]).toMatchObject({ findings: 1, alerts: 1, byDetector: { bot: { findings: 1, alerts: 1 } } });
    expect(score.byDetector.get('bot')).toMatchObject({ matched: 0, falseFindings: 0, lowNoise: 0, patternFindings: 1 });
    expect(score.unmatched).toEqual([]);
  });

  it('counts a finding once for a pattern even when its window overlaps several occurrences', () => {
    const long = finding('bola_enumeration', T0, { windowEnd: T0 + 3 * HOUR });
    expect(scoreRun(run(), [long]).patterns[0]).toMatchObject({ findings: 1, alerts: 1 });
  });

  it('does not count a finding below medium as an alert, but as one of the pattern’s findings', () => {
    const score = scoreRun(run(), [finding('bot', T0, { severity: 'low' }), finding('bot', T0 + HOUR, { severity: 'info' })]);
    expect(score.patterns[0]).toMatchObject({ findings: 2, alerts: 0 });
  });

  it('counts a finding that matches both an attack label and a pattern for the attack only', () => {
    const score = scoreRun(run({ labels: [attack] }), [finding('bola_enumeration', T0 + 2 * HOUR, { severity: 'critical' })]);
    expect(score.labels[0]).toMatchObject({ findings: 1, firstDetectedAt: T0 + 2 * HOUR + MIN });
    expect(score.patterns[0]).toMatchObject({ findings: 0, alerts: 0 });
    expect(score.byDetector.get('bola_enumeration')).toMatchObject({ labels: 1, detected: 1, matched: 1, patternFindings: 0 });
  });

  it('counts a finding that matches two patterns as an alert of each', () => {
    const twin: RecurringPattern = { ...hourly, name: 'another-job' };
    const score = scoreRun(run({ patterns: [hourly, twin] }), [finding('bot', T0 + 5_000)]);
    expect(score.patterns.map((p) => p.alerts)).toEqual([1, 1]);
    expect(score.byDetector.get('bot')?.patternFindings).toBe(1);
  });

  it('keeps a finding from a detector the pattern does not list, or about another subject, as a false finding', () => {
    const burst = finding('burst', T0 + 10_000);
    const otherUser = finding('bot', T0 + 10_000, { subject: { kind: 'principal', value: 'mallory' } });
    const score = scoreRun(run(), [burst, otherUser]);
    expect(score.patterns[0]).toMatchObject({ findings: 0, alerts: 0 });
    expect(score.unmatched).toEqual([burst, otherUser]);
    expect(score.byDetector.get('burst')?.falseFindings).toBe(1);
    expect(score.byDetector.get('bot')?.falseFindings).toBe(1);
  });

  it('matches a finding about a route or the whole api on the api alone, since it is about no one', () => {
    const volume = { ...hourly, detectors: ['volume_anomaly'] as DetectorName[] };
    expect(matchesPattern(finding('volume_anomaly', T0, { subject: { kind: 'api', value: 'orders' } }), volume)).toBe(true);
    expect(matchesPattern(finding('volume_anomaly', T0, { subject: { kind: 'route', value: '/orders/{id}' } }), volume)).toBe(true);
    expect(matchesPattern(finding('volume_anomaly', T0, { subject: { kind: 'ip', value: '10.0.4.21' } }), volume)).toBe(false);
    expect(matchesPattern(finding('volume_anomaly', T0, { api: 'accounts', subject: { kind: 'api', value: 'accounts' } }), volume)).toBe(false);
  });

  it('matches an occurrence from 5 minutes before it starts to 30 minutes after it ends, as attack labels', () => {
    const once: RecurringPattern = { ...hourly, occurrences: [{ start: T0 + 10 * HOUR, end: T0 + 10 * HOUR + MIN }] };
    const at = (startMs: number) => finding('bot', startMs, { windowEnd: startMs + 10_000 });
    expect(matchesPattern(at(T0 + 10 * HOUR - 5 * MIN - 10_000), once)).toBe(true); // ends exactly 5 minutes before
    expect(matchesPattern(at(T0 + 10 * HOUR - 5 * MIN - 11_000), once)).toBe(false);
    expect(matchesPattern(at(T0 + 10 * HOUR + 31 * MIN), once)).toBe(true); // starts exactly 30 minutes after the end
    expect(matchesPattern(at(T0 + 10 * HOUR + 31 * MIN + 1), once)).toBe(false);
  });

  it('leaves precision and recall to attacks: a missed label lowers recall, pattern findings do not lower precision', () => {
    const score = scoreRun(run({ labels: [attack, { ...attack, subject: { kind: 'principal', value: 'peggy' }, description: 'peggy reads foreign orders' }] }), [
      finding('bola_enumeration', T0 + 2 * HOUR),
      finding('bola_enumeration', T0 + 3 * HOUR), // the job's next hour: a pattern alert
    ]);
    expect(score.labels.map((l) => l.findings)).toEqual([1, 0]);
    expect(score.byDetector.get('bola_enumeration')).toMatchObject({ labels: 2, detected: 1, matched: 1, falseFindings: 0, patternFindings: 1 });
  });
});

describe('the bar of detection over time', () => {
  const alerts = (n: number, severity: Severity = 'medium') => Array.from({ length: n }, (_, i) => finding('bot', T0 + i * HOUR, { severity }));

  it('is met by a run whose attacks are all found, whose patterns alert at most once, and with nothing else', () => {
    const score = scoreRun(run({ labels: [attack], allowance: { perWeek: 0 } }), [finding('bola_enumeration', T0 + 2 * HOUR), ...alerts(1), ...alerts(3, 'low')]);
    expect(overTimeProblems([score])).toEqual([]);
  });

  it('says each miss in a sentence: a missed label, a pattern that keeps alerting, precision below 0.95, strays on an ordinary day', () => {
    const stray = finding('burst', T0 + 12 * HOUR, { subject: { kind: 'principal', value: 'user-7' } });
    const score = scoreRun(run({ labels: [attack], allowance: { perWeek: 0 } }), [...alerts(3), finding('bola_enumeration', T0, { severity: 'low' }), stray]);
    expect(overTimeProblems([score])).toEqual([
      's: bola_enumeration missed "the job account, stolen, reads foreign orders" (orders about principal svc-invoicing, 2026-11-19 02:00–02:02)',
      'burst: precision 0.00 < 0.95 (1 false findings at medium or above, 0 matching)',
      's: the recurring pattern hourly-invoicing raised 3 alerts over the run (bot 3); at most 1',
      's: 1 findings at medium or above outside its labels and patterns (burst 1); ordinary days allow none',
    ]);
  });

  it('allows a busy api one stray finding a week, counted in 7-day blocks from the start of the run', () => {
    const busy = { scenario: 'busy', start: T0, end: T0 + 14 * 24 * HOUR, labels: [] as Label[], allowance: { perWeek: 1 } };
    const volume = (day: number, severity: Severity = 'medium') => finding('volume_anomaly', T0 + day * 24 * HOUR + HOUR, { api: 'storefront', subject: { kind: 'api', value: 'storefront' }, severity });
    const score = scoreRun(busy, [volume(0), volume(6, 'low'), volume(7), volume(13), volume(13, 'high')]);
    expect(strayWeeks(score).map((w) => [w.week, w.findings, w.alerts])).toEqual([
      [1, 2, 1],
      [2, 3, 3],
    ]);
    expect(overTimeProblems([score]).filter((p) => p.startsWith('busy'))).toEqual(['busy: week 2 (from 2026-11-26) has 3 findings at medium or above outside the injected anomalies (volume_anomaly 3); at most 1 a week']);
  });

  it('judges precision over every scenario together, per detector', () => {
    const attacks = scoreRun(run({ labels: [attack], patterns: [] }), Array.from({ length: 19 }, () => finding('bola_enumeration', T0 + 2 * HOUR)));
    const quiet = scoreRun(run({ scenario: 'q', patterns: [] }), [finding('bola_enumeration', T0 + 20 * HOUR)]);
    expect(overTimeProblems([attacks, quiet])).toEqual([]); // 19 / 20 = 0.95
    const noisier = scoreRun(run({ scenario: 'q', patterns: [] }), [finding('bola_enumeration', T0 + 20 * HOUR), finding('bola_enumeration', T0 + 21 * HOUR)]);
    expect(overTimeProblems([attacks, noisier])).toEqual(['bola_enumeration: precision 0.90 < 0.95 (2 false findings at medium or above, 19 matching)']);
  });
});
