import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction, type Finding } from '@vigil/contracts';
import { HOUR, MINUTE, T0, background, detect, latest, only, tx } from '../../testing.js';
import { burst } from './index.js';

const detectors = [burst];

/** `count` calls of one principal spread evenly over [from, to). */
function calls(principal: string, from: number, to: number, count: number): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({ id: `${principal}-${from}-${i}`, timestamp: from + Math.floor((i / count) * (to - from)), path: '/orders', principal, clientIp: '192.0.2.10' }),
  );
}

/** Calls at `perMinute` from `from` to `to`. */
const steady = (principal: string, from: number, to: number, perMinute: number) => calls(principal, from, to, Math.round(((to - from) / MINUTE) * perMinute));

const H2 = T0 + 2 * HOUR; // the default warm-up (2 hours of api history) is over from here
const bg = (to: number) => background({ from: T0, to, perMinute: 8, users: 150 });

describe('burst', () => {
  it('flags a 20x short burst: ~5/min for an hour, then 120 in one minute', async () => {
    const burstMinute = H2 + 10 * MINUTE;
    const events = [
      ...bg(burstMinute + 10 * MINUTE),
      ...steady('user-b', T0 + HOUR, burstMinute, 5),
      ...calls('user-b', burstMinute, burstMinute + 50_000, 120),
      ...steady('user-b', burstMinute + MINUTE, burstMinute + 10 * MINUTE, 5),
    ];
    const findings = latest(only(await detect(events, { detectors, batchSize: 50 }), 'burst'));
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'principal', value: 'user-b' });
    expect(f.windowStart).toBe(burstMinute);
    expect(f.windowEnd).toBe(burstMinute + MINUTE);
    expect(f.owasp).toBe('API4:2023');
    expect(f.evidence.baselinePerMinute).toBeCloseTo(5, 1); // 300 calls in the previous hour, and this one up to the window
    expect(f.evidence.baselineKind).toBe('previous_hour');
    // Revised as the minute filled: its latest publication counts all 120.
    expect(f.evidence.requestsThisMinute).toBe(120);
    expect(Number(f.evidence.ratio)).toBeGreaterThanOrEqual(20);
    expect(f.severity).toBe('medium');
    expect(() => findingSchema.parse(f)).not.toThrow(); // a valid Finding v1
  });

  it('makes a burst of 5 x minRatio high', async () => {
    const burstMinute = H2 + 10 * MINUTE;
    // One batch holds the whole minute (severity is judged when the finding is first published).
    const events = [...bg(burstMinute), ...steady('user-h', T0 + HOUR, burstMinute, 5), ...calls('user-h', burstMinute, burstMinute + 40_000, 520)];
    const findings = only(await detect(events, { detectors, batchSize: 10_000 }), 'burst');
    expect(findings.map((f) => [f.subject.value, f.severity])).toEqual([['user-h', 'high']]);
    // 520 calls against ~5/min: the previous hour and this one up to the window (which starts 5 minutes before its end).
    expect(f0(findings).evidence.ratio).toBeCloseTo(104, 0);
  });

  describe('new subjects, judged against newSubjectBaselinePerMinute (3/min → 60 calls)', () => {
    const minute = H2 + 20 * MINUTE;
    const counts = [30, 59, 90];
    // One run: each newcomer is its own principal, all in the same minute of a warm api.
    let run: Promise<Finding[]> | undefined;
    const findings = () =>
      (run ??= detect([...bg(minute + 2 * MINUTE), ...counts.flatMap((c) => calls(`newcomer-${c}`, minute, minute + 45_000, c))], { detectors, batchSize: 40 }).then((fs) =>
        latest(only(fs, 'burst')),
      ));

    it.each([
      { count: 30, expected: [] },
      { count: 59, expected: [] },
      { count: 90, expected: ['medium'] },
    ])('$count calls in its first minute → $expected', async ({ count, expected }) => {
      const mine = (await findings()).filter((f) => f.subject.value === `newcomer-${count}`);
      expect(mine.map((f) => f.severity)).toEqual(expected);
      for (const f of mine) expect(f.evidence.baselineKind).toBe('new_subject_floor');
    });
  });

  it('ignores steady traffic at a constant high rate', async () => {
    // 65/min from the second hour on: in the warm api's third hour, the previous hour says 65/min too.
    const events = [...bg(H2 + 6 * MINUTE), ...steady('service-a', T0 + HOUR, H2 + 6 * MINUTE, 65)];
    expect(only(await detect(events, { detectors }), 'burst')).toEqual([]);
  });

  it('stays quiet while the api warms up, even for a heavy new client', async () => {
    const events = [...bg(T0 + 40 * MINUTE), ...calls('early', T0 + 30 * MINUTE, T0 + 31 * MINUTE, 150)];
    expect(only(await detect(events, { detectors, batchSize: 40 }), 'burst')).toEqual([]);
  });

  it('respects the severity override', async () => {
    const minute = H2 + 20 * MINUTE;
    const events = [...bg(minute), ...calls('newcomer', minute, minute + 45_000, 90)];
    const findings = only(await detect(events, { detectors, config: { burst: { severity: 'low' } } }), 'burst');
    expect(findings.map((f) => f.severity)).toEqual(['low']);
  });

  it('stays quiet on hours of ordinary traffic', async () => {
    const findings = await detect(background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 20, users: 150 }), { detectors });
    expect(only(findings, 'burst')).toEqual([]);
  });
});

function f0<T>(xs: readonly T[]): T {
  expect(xs.length).toBeGreaterThan(0);
  return xs[0]!;
}
