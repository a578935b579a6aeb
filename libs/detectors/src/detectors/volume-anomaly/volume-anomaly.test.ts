import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { CONTEXT_NOW, apiMinute, apiWindow, runDetector, tx } from '../../testing.js';
import type { ApiMinute } from '../../types.js';
import { MINUTE } from '../../units.js';
import { volumeAnomaly } from './index.js';

/**
 * volume_anomaly over hand-built contexts (contextFor): the minutes of an api that closed in the batch, each against
 * its hour's expectation (100/min, spread 10, seasonal unless said otherwise).
 */
const LAST = CONTEXT_NOW - MINUTE; // 09:59, apiMinute's default
/** The 15-minute span (default findingWindowMinutes) of LAST. */
const span = { windowStart: CONTEXT_NOW - 15 * MINUTE, windowEnd: CONTEXT_NOW };

/** A closed minute of `n` calls, `minutesBeforeNow` before 10:00 (1: 09:59). */
const minute = (n: number, o: Partial<ApiMinute> = {}, minutesBeforeNow = 1) => apiMinute({ n, minute: CONTEXT_NOW - minutesBeforeNow * MINUTE, ...o });

const run = (minutes: ApiMinute[], config?: Record<string, unknown>) => runDetector(volumeAnomaly, { apis: [apiWindow({ closedMinutes: minutes })], config });
const verdict = (m: ApiMinute, config?: Record<string, unknown>) => {
  const [f] = run([m], config);
  return f && [f.evidence.change, f.severity];
};

describe('volume_anomaly (contextFor)', () => {
  it('flags a minute of 500 calls against a seasonal 100/min (5x, medium spike), with its evidence', () => {
    const [f, ...rest] = run([minute(500)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'volume_anomaly', severity: 'medium', api: 'accounts', subject: { kind: 'api', value: 'accounts' }, ...span, owasp: 'API4:2023' });
    expect(f!.evidence).toEqual({
      change: 'spike',
      observedPerMinute: 500,
      expectedPerMinute: 100,
      spreadPerMinute: 10,
      ratio: 5,
      z: 40, // (500 - 100) / 10
      baselineKind: 'seasonal',
      direction: 'inbound',
      minute: new Date(LAST).toISOString(),
      anomalousMinutesInBatch: 1,
    });
    expect(f!.confidence).toBe(0.99); // z 40 is past 3 x minZ
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('flags a minute of 10 calls against 100/min (a medium drop, no OWASP category, no events)', () => {
    const [f] = run([minute(10)]);
    expect(f).toMatchObject({ severity: 'medium', ...span, eventIds: [] });
    expect(f).not.toHaveProperty('owasp');
    expect(f!.evidence).toMatchObject({ change: 'drop', observedPerMinute: 10, expectedPerMinute: 100, ratio: 0.1, z: 9 });
  });

  it.each([
    ['a spike of 10x (highSpikeRatio), seasonal: high', minute(1000), ['spike', 'high']],
    ['a spike of 9.99x, seasonal: medium', minute(999), ['spike', 'medium']],
    ['a spike of 10x on recent hours: low', minute(1000, { baselineKind: 'recent' }), ['spike', 'low']],
    ['a drop to 5% (nearZeroShare): high', minute(5), ['drop', 'high']],
    ['a drop to 6%: medium', minute(6), ['drop', 'medium']],
    ['a drop to 0 on recent hours: high', minute(0, { baselineKind: 'recent' }), ['drop', 'high']],
  ])('severity: %s', (_, m, expected) => {
    expect(verdict(m)).toEqual(expected);
  });

  it.each([
    ['399 calls: 3.99x (under spikeRatio)', minute(399), undefined],
    ['400 calls: 4x', minute(400), 'spike'],
    ['29 calls against 5/min: 5.8x, but under minSpikePerMinute', minute(29, { expectedPerMinute: 5, spreadPerMinute: 1 }), undefined],
    ['30 calls against 5/min', minute(30, { expectedPerMinute: 5, spreadPerMinute: 1 }), 'spike'],
    ['400 calls with a spread of 60: z 5 (under minZ)', minute(400, { spreadPerMinute: 60 }), undefined],
    ['460 calls with a spread of 60: z 6', minute(460, { spreadPerMinute: 60 }), 'spike'],
    ['21 calls: 21% (over dropRatio)', minute(21), undefined],
    ['20 calls: 20%', minute(20), 'drop'],
    ['no calls against 19/min (under minExpectedPerMinute)', minute(0, { expectedPerMinute: 19, spreadPerMinute: 1 }), undefined],
    ['no calls against 20/min', minute(0, { expectedPerMinute: 20, spreadPerMinute: 1 }), 'drop'],
    ['10 calls with a spread of 31: z 2.9 (under dropMinZ)', minute(10, { spreadPerMinute: 31 }), undefined],
    ['10 calls with a spread of 30: z 3', minute(10, { spreadPerMinute: 30 }), 'drop'],
  ])('thresholds: %s', (_, m, change) => {
    expect(verdict(m)?.[0]).toBe(change);
  });

  it('judges a drop against dropExpectedPerMinute (the lower of the median and the latest hour) when there is one', () => {
    // 15/min is 15% of the 100/min median but 37.5% of the latest hour's 40/min.
    expect(run([minute(15, { dropExpectedPerMinute: 40, spreadPerMinute: 5, baselineKind: 'recent' })])).toEqual([]);
    expect(verdict(minute(15, { baselineKind: 'recent' }))).toEqual(['drop', 'medium']);
    const [f] = run([minute(8, { dropExpectedPerMinute: 40, spreadPerMinute: 5, baselineKind: 'recent' })]);
    expect(f!.evidence).toMatchObject({ change: 'drop', expectedPerMinute: 40, ratio: 0.2, z: 6.4, baselineKind: 'recent' });
    expect(f!.severity).toBe('medium'); // 8 is over 5% of 40
    // A spike is still judged against the expectation itself.
    expect(verdict(minute(400, { dropExpectedPerMinute: 40 }))).toEqual(['spike', 'medium']);
  });

  it('stays quiet while the api warms up', () => {
    expect(run([minute(5000, { baselineKind: 'warming_up' })])).toEqual([]);
    expect(run([minute(5000, { expectedPerMinute: undefined })])).toEqual([]);
    expect(run([minute(0, { spreadPerMinute: undefined })])).toEqual([]);
  });

  it('reports the worst minute of each span, with the count of anomalous minutes of its kind', () => {
    const findings = run([minute(500, {}, 3), minute(800, {}, 2), minute(600, {}, 1), minute(100, {}, 16), minute(450, {}, 17)]);
    expect(findings.map((f) => [f.windowStart, f.evidence.observedPerMinute, f.evidence.minute, f.evidence.anomalousMinutesInBatch])).toEqual([
      [span.windowStart, 800, new Date(CONTEXT_NOW - 2 * MINUTE).toISOString(), 3],
      [CONTEXT_NOW - 30 * MINUTE, 450, new Date(CONTEXT_NOW - 17 * MINUTE).toISOString(), 1],
    ]);
  });

  it('current behaviour: in one span the larger z wins across kinds, so a low spike can hide a high drop', () => {
    // 09:50: 1000/min on recent hours (z 90, low); 09:55: nothing at all (z 10, high). Spikes and drops are compared by
    // z although their thresholds differ (minZ 6, dropMinZ 3): the span reports the spike alone.
    const findings = run([minute(1000, { baselineKind: 'recent' }, 10), minute(0, { baselineKind: 'recent' }, 5)]);
    expect(findings.map((f) => [f.evidence.change, f.severity, f.evidence.anomalousMinutesInBatch])).toEqual([['spike', 'low', 1]]);
  });

  it("gives a spike the events of its worst minute, else the api's latest", () => {
    const events = [tx({ id: 'before', timestamp: LAST - 30_000 }), tx({ id: 'in-minute', timestamp: LAST + 10_000 }), tx({ id: 'other-api', api: 'billing', timestamp: LAST + 10_000 })];
    expect(runDetector(volumeAnomaly, { apis: [apiWindow({ closedMinutes: [minute(500)] })], events })[0]?.eventIds).toEqual(['in-minute']);
    const earlier = [tx({ id: 'a', timestamp: LAST - 90_000 }), tx({ id: 'b', timestamp: LAST - 30_000 })];
    expect(runDetector(volumeAnomaly, { apis: [apiWindow({ closedMinutes: [minute(500)] })], events: earlier })[0]?.eventIds).toEqual(['a', 'b']);
  });

  it('lowers the confidence of a judgement on recent hours to 80%', () => {
    // z 40 against minZ 6: 0.99 seasonal, 0.99 x 0.8 on recent hours.
    expect(run([minute(500, { baselineKind: 'recent' })])[0]?.confidence).toBe(0.792);
  });

  it('follows its config', () => {
    expect(run([minute(500)], { volume_anomaly: { spikeRatio: 6 } })).toEqual([]);
    expect(run([minute(460, { spreadPerMinute: 60 })], { volume_anomaly: { minZ: 7 } })).toEqual([]);
    expect(run([minute(30)], { volume_anomaly: { dropRatio: 0.3 } })).toHaveLength(1);
    expect(run([minute(0, { expectedPerMinute: 20, spreadPerMinute: 1 })], { volume_anomaly: { minExpectedPerMinute: 21 } })).toEqual([]);
    expect(verdict(minute(500), { volume_anomaly: { highSpikeRatio: 5 } })).toEqual(['spike', 'high']);
    expect(verdict(minute(10), { volume_anomaly: { nearZeroShare: 0.1 } })).toEqual(['drop', 'high']);
    expect(verdict(minute(500), { volume_anomaly: { severity: 'critical' } })).toEqual(['spike', 'critical']);
    const [hourly] = run([minute(500)], { volume_anomaly: { findingWindowMinutes: 60 } });
    expect([hourly!.windowStart, hourly!.windowEnd]).toEqual([CONTEXT_NOW - 60 * MINUTE, CONTEXT_NOW]);
  });

  it('judges each api and direction on its own', () => {
    const apis = [apiWindow({ closedMinutes: [minute(500)] }), apiWindow({ api: 'stripe', direction: 'outbound', closedMinutes: [minute(0)] }), apiWindow({ api: 'quiet' })];
    const findings = runDetector(volumeAnomaly, { apis });
    expect(findings.map((f) => [f.api, f.evidence.direction, f.evidence.change])).toEqual([
      ['accounts', 'inbound', 'spike'],
      ['stripe', 'outbound', 'drop'],
    ]);
  });
});
