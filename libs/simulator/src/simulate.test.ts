import { describe, expect, it } from 'vitest';
import { toWireJson, transactionContract, validate } from '@vigil/contracts';
import { qualityProblems, scoreboard, scoreScenario } from './score.js';
import { dayScenarioNames, describeScenario, longRunNames, scenarioNames, simulate } from './simulate.js';
import { seasonality } from './traffic.js';

describe('the traffic simulator', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = simulate({ scenario: 'bola-sequential', hours: 4 });
    const b = simulate({ scenario: 'bola-sequential', hours: 4 });
    const c = simulate({ scenario: 'bola-sequential', hours: 4, seed: 8 });
    expect(b.events).toEqual(a.events);
    expect(c.events.length).not.toBe(a.events.length);
  });

  it('produces valid ApiTransaction v1 events in time order, inbound and outbound, web and mobile', () => {
    const { events } = simulate({ scenario: 'clean-day', hours: 3 });
    expect(events.length).toBeGreaterThan(5_000); // three night hours
    // Through the wire form and back, as a producer would send them.
    for (const e of events.slice(0, 2000)) expect(validate(transactionContract, JSON.parse(JSON.stringify(toWireJson(transactionContract, e))))).toEqual(e);
    for (let i = 1; i < events.length; i++) expect(events[i]!.timestamp).toBeGreaterThanOrEqual(events[i - 1]!.timestamp);
    expect(new Set(events.map((e) => e.direction))).toEqual(new Set(['inbound', 'outbound']));
    expect(events.some((e) => e.userAgent?.startsWith('MyShop/'))).toBe(true);
    expect(events.some((e) => e.userAgent?.includes('Chrome'))).toBe(true);
    expect(events.filter((e) => e.status >= 500).length / events.length).toBeLessThan(0.01);
  });

  it('follows a daily and weekly rhythm', () => {
    const wed = Date.UTC(2026, 10, 18);
    expect(seasonality(wed + 16 * 3_600_000)).toBeGreaterThan(5 * seasonality(wed + 4 * 3_600_000));
    expect(seasonality(wed + 3 * 86_400_000 + 16 * 3_600_000)).toBeLessThan(seasonality(wed + 16 * 3_600_000)); // Saturday
  });

  it('labels every attack of the single-day scenarios, within the traffic, with a description', () => {
    for (const name of dayScenarioNames) {
      const sim = simulate({ scenario: name });
      expect(describeScenario(name).length).toBeGreaterThan(10);
      if (name === 'clean-day') expect(sim.labels).toEqual([]);
      else expect(sim.labels.length).toBeGreaterThan(0);
      for (const l of sim.labels) {
        expect(l.start).toBeGreaterThanOrEqual(sim.start);
        expect(l.end).toBeLessThanOrEqual(sim.end);
      }
    }
    expect(() => simulate({ scenario: 'nope' })).toThrow(/unknown scenario "nope"/);
  }, 60_000); // generates every scenario's traffic: seconds on a quiet machine, more on a loaded one

  it('lists the long runs after the single-day scenarios, and cuts a shortened long run\'s labels and patterns to its span', () => {
    expect(longRunNames).toEqual(['bau', 'slow-attacks', 'busy-api']);
    expect(scenarioNames).toEqual([...dayScenarioNames, ...longRunNames]);
    expect(dayScenarioNames).toHaveLength(17);
    for (const name of longRunNames) expect(describeScenario(name).length).toBeGreaterThan(100);
    const start = Date.UTC(2026, 10, 18, 6);
    const cut = simulate({ scenario: 'slow-attacks', hours: 4.5 }); // to 10:30: the creep and the straddling enumeration only
    expect(cut.events.every((e) => e.timestamp >= start && e.timestamp < cut.end)).toBe(true);
    expect(cut.labels.map((l) => [l.detector, l.end <= cut.end])).toEqual([
      ['latency_degradation', true],
      ['bola_enumeration', true],
    ]);
    const bau = simulate({ scenario: 'bau', hours: 1.5 });
    expect(bau.patterns.map((p) => [p.name, p.occurrences.length])).toEqual([
      ['hourly-invoicing', 2],
      ['partner-stock-feed', 2],
    ]);
    expect(simulate({ scenario: 'clean-day', hours: 1 })).toMatchObject({ patterns: [], allowance: { perWeek: 0 } });
    expect(simulate({ scenario: 'burst', hours: 4 })).toMatchObject({ patterns: [], allowance: undefined });
  });

  it('scores findings against labels: a miss lowers recall, an unmatched medium finding lowers precision', () => {
    const label = { scenario: 's', detector: 'burst' as const, api: 'orders', subject: { kind: 'principal' as const, value: 'u' }, start: 1_000_000, end: 1_060_000, description: '' };
    const hit = { detector: 'burst' as const, api: 'orders', subject: { kind: 'principal' as const, value: 'u' }, windowStart: 1_000_000, windowEnd: 1_060_000, detectedAt: 1_030_000, severity: 'medium' as const };
    const stray = { ...hit, subject: { kind: 'principal' as const, value: 'other' } };
    const good = scoreboard([scoreScenario('s', 1, [label], [hit as never])], { hours: 1, findings: [] });
    expect(good.rows[0]).toMatchObject({ precision: 1, recall: 1, medianDelaySeconds: 30 });
    const bad = scoreboard([scoreScenario('s', 1, [label, { ...label, subject: { kind: 'principal', value: 'missed' } }], [hit as never, stray as never])], { hours: 1, findings: [{ severity: 'high' }] });
    expect(bad.rows[0]).toMatchObject({ precision: 0.5, recall: 0.5 });
    expect(qualityProblems(bad)).toEqual(['burst: precision 0.50 < 0.9', 'burst: recall 0.50 < 0.9', 'the clean day has 1 findings at medium or above']);
  });
});
