import { describe, expect, it } from 'vitest';
import { findingSchema } from '@vigil/contracts';
import { CONTEXT_NOW, apiMinute, apiWindow, rng, runDetector, tx } from '../../testing.js';
import type { ApiMinute } from '../../types.js';
import { MINUTE } from '../../units.js';
import { dispersionOf, scoresAt, volumeAnomaly } from './index.js';

/**
 * volume_anomaly over hand-built contexts (contextFor): an api's closed minutes, each against its hour's
 * expectation (100/min, seasonal, with the day-to-day spread sigmaLog the test gives).
 */
const LAST = CONTEXT_NOW - MINUTE; // 09:59, apiMinute's default

/** `counts` as consecutive closed minutes ending at 09:59, each expecting `expected`. */
function minutes(counts: readonly number[], o: Partial<ApiMinute> = {}): ApiMinute[] {
  return counts.map((n, i) => apiMinute({ n, minute: LAST - (counts.length - 1 - i) * MINUTE, expectedPerMinute: 100, sigmaLog: 0.1, ...o }));
}

/** Ordinary history before the judged minutes: `count` minutes at the expectation, with Poisson-like chance. */
function ordinary(count: number, expected: number, seed = 1, o: Partial<ApiMinute> = {}): number[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => Math.max(0, Math.round(expected + Math.sqrt(expected) * (r() + r() + r() - 1.5) * 2)));
}

/** The api window: `history` minutes, of which the last `closed` closed in this batch. */
function window(history: ApiMinute[], closed = 1, o: Parameters<typeof apiWindow>[0] = {}) {
  return apiWindow({ history, closedMinutes: history.slice(-closed), ...o });
}

const run = (history: ApiMinute[], closed = 1, config?: Record<string, unknown>) => runDetector(volumeAnomaly, { apis: [window(history, closed)], config });
const verdict = (history: ApiMinute[], config?: Record<string, unknown>) => run(history, 1, config).map((f) => [f.evidence.change, f.severity]);

/** The score by hand: the difference on Anscombe's scale over the larger of the dispersion and chance plus the hour's spread. */
const stable = (x: number) => 2 * Math.sqrt(x + 3 / 8);
const byHand = (o: number, e: number, sigma: number, dispersion = 1) => (stable(o) - stable(e)) / Math.sqrt(Math.max(dispersion, 1 + sigma * sigma * e));

describe('volume_anomaly (contextFor)', () => {
  it('scores a window by how many spreads it lies from the expectation on a scale where chance is even, spread by the api\'s own dispersion', () => {
    const history = minutes([...ordinary(59, 100), 500]);
    const one = () => 1;
    const [rise] = scoresAt(history, history.length - 1, [1], one);
    expect(rise).toMatchObject({ kind: 'spike', minutes: 1, observed: 500, expected: 100, baselineKind: 'seasonal' });
    expect(rise!.z).toBeCloseTo(byHand(500, 100, 0.1), 10);
    // A dispersion beyond chance plus the hour's spread widens it.
    const [wide] = scoresAt(history, history.length - 1, [1], () => 9);
    expect(wide!.z).toBeCloseTo(byHand(500, 100, 0.1, 9), 10);
    expect(wide!.z).toBeLessThan(rise!.z);
    // Windows of several minutes sum their counts and expectations.
    const five = minutes([100, 100, 100, 100, 500]);
    const [rise5] = scoresAt(five, 4, [5], one);
    expect(rise5!.z).toBeCloseTo(byHand(900, 500, 0.1), 10);
    // The strongest window of each kind wins; none while a minute of it has no expectation.
    expect(scoresAt(five, 4, [1, 5], one)[0]!.minutes).toBe(1);
    expect(scoresAt(minutes([0, 0, 0, 0, 0]), 4, [1, 5], one).map((x) => [x.kind, x.minutes])).toEqual([['drop', 5]]);
    expect(scoresAt([apiMinute({ expectedPerMinute: undefined }), ...minutes([100])], 1, [2], one)).toEqual([]);
    // No calls against 7 in a minute is not the rarity a log ratio makes of it; against 50, it is.
    expect(-scoresAt(minutes([0], { expectedPerMinute: 7, sigmaLog: 0 }), 0, [1], one)[0]!.z).toBeLessThan(5);
    expect(-scoresAt(minutes([0], { expectedPerMinute: 50, sigmaLog: 0 }), 0, [1], one)[0]!.z).toBeGreaterThan(10);
  });

  it('learns how much the api\'s windows of each length vary from their history (chance: 1; none under 30 windows)', () => {
    expect(dispersionOf(minutes(ordinary(29, 100)), 1)).toBe(1);
    // Poisson-like counts: chance explains them.
    expect(dispersionOf(minutes(ordinary(120, 100)), 1)).toBeLessThan(2);
    // A busy api whose minutes swing by ±30% around the hour's expectation.
    const r = rng(3);
    const swinging = minutes(Array.from({ length: 120 }, () => Math.round(2000 * Math.exp(0.3 * (r() + r() + r() - 1.5) * 2))), { expectedPerMinute: 2000 });
    expect(dispersionOf(swinging, 1)).toBeGreaterThan(50);
    // A quiet api whose calls all come at :00: over a quarter of an hour, that is far more than chance.
    const lumpy = minutes(Array.from({ length: 240 }, (_, i) => (i % 60 === 0 ? 45 : 0)), { expectedPerMinute: 0.75 });
    expect(dispersionOf(lumpy, 15)).toBeGreaterThan(3);
    expect(dispersionOf(lumpy, 60)).toBe(1);
  });

  it('flags a minute of 250 calls against a seasonal 100/min (medium spike), with its score and evidence', () => {
    const [f, ...rest] = run(minutes([...ordinary(59, 100), 250]));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detector: 'volume_anomaly', severity: 'medium', api: 'accounts', subject: { kind: 'api', value: 'accounts' }, windowStart: LAST, windowEnd: CONTEXT_NOW, owasp: 'API4:2023' });
    expect(f!.evidence).toMatchObject({ change: 'spike', observed: 250, expected: 100, ratio: 2.5, windowMinutes: 1, baselineKind: 'seasonal', direction: 'inbound', minute: new Date(LAST).toISOString() });
    const history = minutes([...ordinary(59, 100), 250]);
    expect(Number(f!.evidence.score)).toBeCloseTo(byHand(250, 100, 0.1, dispersionOf(history.slice(0, -1), 1)), 1);
    expect(f!.episode).toEqual({ from: LAST, to: CONTEXT_NOW });
    expect(f!.aspect).toBe('spike');
    expect(() => findingSchema.parse({ ...f, id: 'x', detectedAt: 0 })).not.toThrow();
  });

  it('ranks episodes by a continuous score: more unusual, higher', () => {
    const scores = [150, 500, 1000, 3000].map((n) => Number(run(minutes([...ordinary(59, 100), n]))[0]?.evidence.score ?? 0));
    expect(scores[0]).toBe(0); // 1.5x a seasonal 100/min whose hour varies by 10% is not enough
    for (let i = 2; i < scores.length; i++) expect(scores[i]!).toBeGreaterThan(scores[i - 1]!);
  });

  it('judges a busy api and a quiet api alike: their own noise, not fixed multiples or minimum counts', () => {
    const r = rng(7);
    const swings = Array.from({ length: 120 }, () => Math.round(2000 * Math.exp(0.3 * (r() + r() + r() - 1.5) * 2)));
    const busy = (tail: number[]) => minutes([...swings, ...tail], { expectedPerMinute: 2000 });
    // Its ordinary swings, even a minute at 1.8x, say nothing; an outage of a few minutes does.
    expect(run(busy([3600]))).toEqual([]);
    expect(verdict(busy([0, 0, 0, 0, 0]))).toEqual([['drop', 'high']]);
    // A quiet api at 2 calls a minute: a minute without calls is chance, fifteen are an outage.
    const quiet = (tail: number[]) => minutes([...ordinary(120, 2, 9), ...tail], { expectedPerMinute: 2 });
    expect(run(quiet([0]))).toEqual([]);
    expect(run(quiet(new Array(15).fill(0)), 15).map((f) => [f.evidence.change, f.severity, f.evidence.windowMinutes])).toEqual([['drop', 'high', 15]]);
  });

  it.each([
    ['a spike past highZ, seasonal: high', [5000], {}, [['spike', 'high']]],
    ['a spike on recent hours: low', [5000], { baselineKind: 'recent' }, [['spike', 'low']]],
    ['a drop to 0 over a minute: medium (a minute is too short to call it an outage)', [0], {}, [['drop', 'medium']]],
    ['a drop to 0 over five minutes: high', [0, 0, 0, 0, 0], {}, [['drop', 'high']]],
    ['a drop to 30% over five minutes: medium', [30, 30, 30, 30, 30], {}, [['drop', 'medium']]],
  ] as const)('severity: %s', (_, tail, o, expected) => {
    const history = minutes([...ordinary(60, 100), ...tail], o as Partial<ApiMinute>);
    expect(run(history, tail.length).map((f) => [f.evidence.change, f.severity])).toEqual(expected);
  });

  it('judges a drop against dropExpectedPerMinute (the lower of the median and the latest hour) when there is one', () => {
    const recent = { baselineKind: 'recent' as const };
    // 15/min is far below a 100/min median, and near a latest hour of 20/min.
    expect(run(minutes([...ordinary(60, 100), 15, 15, 15, 15, 15], { ...recent, dropExpectedPerMinute: 20 }), 5)).toEqual([]);
    const [f] = run(minutes([...ordinary(60, 100), 15, 15, 15, 15, 15], recent), 5);
    expect(f!.evidence).toMatchObject({ change: 'drop', baselineKind: 'recent' });
  });

  it('stays quiet while the api warms up', () => {
    expect(run(minutes([5000], { baselineKind: 'warming_up' }))).toEqual([]);
    expect(run(minutes([5000], { expectedPerMinute: undefined }))).toEqual([]);
  });

  it('reports the strongest spike and the strongest drop of a batch, each on its own (a spike never hides a drop)', () => {
    const history = minutes([...ordinary(60, 100), 1000, 100, 100, 0, 0, 0, 0, 0]);
    const findings = run(history, 8);
    expect(findings.map((f) => [f.evidence.change, f.severity, f.aspect])).toEqual([
      ['spike', 'high', 'spike'],
      ['drop', 'high', 'drop'],
    ]);
  });

  it("gives a spike the events of its window (else the api's latest), a drop none", () => {
    const events = [tx({ id: 'before', timestamp: LAST - 30_000 }), tx({ id: 'in-minute', timestamp: LAST + 10_000 }), tx({ id: 'other-api', api: 'billing', timestamp: LAST + 10_000 })];
    expect(runDetector(volumeAnomaly, { apis: [window(minutes([...ordinary(60, 100), 1000]))], events })[0]?.eventIds).toEqual(['in-minute']);
    const earlier = [tx({ id: 'a', timestamp: LAST - 90_000 }), tx({ id: 'b', timestamp: LAST - 30_000 })];
    expect(runDetector(volumeAnomaly, { apis: [window(minutes([...ordinary(60, 100), 1000]))], events: earlier })[0]?.eventIds).toEqual(['a', 'b']);
    expect(runDetector(volumeAnomaly, { apis: [window(minutes([...ordinary(60, 100), 0, 0, 0, 0, 0]), 5)], events })[0]?.eventIds).toEqual([]);
  });

  it('lowers the confidence of a judgement on recent hours to 80%', () => {
    const seasonal = run(minutes([...ordinary(60, 100), 5000]))[0]!.confidence;
    expect(run(minutes([...ordinary(60, 100), 5000], { baselineKind: 'recent' }))[0]!.confidence).toBeCloseTo(seasonal * 0.8, 3);
  });

  it('follows its config', () => {
    const spike = minutes([...ordinary(60, 100), 500]);
    const score = Number(run(spike)[0]!.evidence.score);
    expect(run(spike, 1, { volume_anomaly: { minZ: score + 0.1 } })).toEqual([]);
    expect(verdict(spike, { volume_anomaly: { highZ: score - 0.1 } })).toEqual([['spike', 'high']]);
    expect(verdict(spike, { volume_anomaly: { severity: 'critical' } })).toEqual([['spike', 'critical']]);
    const dip = minutes([...ordinary(60, 100), 0]);
    expect(run(dip, 1, { volume_anomaly: { dropMinZ: 100 } })).toEqual([]);
    // Windows of five minutes only: one quiet minute is not judged on its own, and a sixth of a five is not enough.
    expect(run(dip, 1, { volume_anomaly: { windowsMinutes: [5] } })).toEqual([]);
    const low = minutes([...ordinary(60, 100), 5, 5, 5, 5, 5]);
    expect(run(low, 5).map((f) => f.severity)).toEqual(['high']);
    expect(run(low, 5, { volume_anomaly: { nearZeroShare: 0.01 } }).map((f) => f.severity)).toEqual(['medium']);
  });

  it('refuses the keys of older versions, saying what replaced each', () => {
    expect(() => run(minutes([100]), 1, { volume_anomaly: { spikeRatio: 4 } })).toThrow(/no longer used: a spike is judged by its score against the api's own spread \(minZ\); remove it.*spikeRatio/s);
    expect(() => run(minutes([100]), 1, { volume_anomaly: { minExpectedPerMinute: 20 } })).toThrow(/no minimum count.*minExpectedPerMinute/s);
  });

  it('judges each api and direction on its own', () => {
    const apis = [window(minutes([...ordinary(60, 100), 1000])), window(minutes([...ordinary(60, 100), 0, 0, 0, 0, 0]), 5, { api: 'stripe', direction: 'outbound' }), window(minutes(ordinary(61, 100)), 1, { api: 'quiet' })];
    const findings = runDetector(volumeAnomaly, { apis });
    expect(findings.map((f) => [f.api, f.evidence.direction, f.evidence.change])).toEqual([
      ['accounts', 'inbound', 'spike'],
      ['stripe', 'outbound', 'drop'],
    ]);
  });
});
