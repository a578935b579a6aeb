import { severityRank, type ApiTransaction, type Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, latest, only, tx } from '../../testing.js';
import { burst } from './index.js';

/** burst over time: wherever a burst falls relative to the clock, and a job that bursts at :00 every hour. */
const detectors = [burst];
const atLeastMedium = (f: Finding) => severityRank(f.severity) >= severityRank('medium');

/** `count` calls by `principal` spread evenly over [from, from + spanMs). */
function calls(principal: string, from: number, count: number, spanMs: number, ip = '192.0.2.10'): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) => tx({ id: `u-${principal}-${from}-${i}`, timestamp: from + Math.floor((i / count) * spanMs), path: '/orders', principal, clientIp: ip }));
}

describe('burst over time', () => {
  it('finds 120 calls in 50 s from a subject that makes 5 a minute, wherever they fall in the 5-minute clock (every 15-second offset)', async () => {
    const misses: number[] = [];
    const history = calls('user-b', T0 + HOUR, 5 * 70, 70 * MINUTE);
    for (let offset = 0; offset < 5 * MINUTE; offset += 15_000) {
      const start = T0 + 2 * HOUR + 10 * MINUTE + offset;
      const events = [...background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 8, users: 150 }), ...history.filter((e) => e.timestamp < start), ...calls('user-b', start, 120, 50_000)];
      const found = latest(only(await detect(events, { detectors, batchSize: [50, 400][offset % 2] }), 'burst')).filter((f) => f.subject.value === 'user-b');
      if (found.length !== 1 || found[0]!.severity !== 'medium' || Math.abs(found[0]!.windowStart - start) > 10_000) misses.push(offset);
    }
    expect(misses).toEqual([]);
  });

  describe('a job of 150 calls in a minute at the top of every hour', () => {
    const job = (h: number, count = 150) => calls('svc-export', T0 + h * HOUR, count, 50_000, '10.9.0.7');
    const day = [...background({ from: T0, to: T0 + 25 * HOUR, perMinute: 10, users: 150 }), ...Array.from({ length: 24 }, (_, h) => job(h)).flat()];
    let run: Promise<Finding[]> | undefined;
    const ofDay = () => (run ??= detect(day, { detectors, batchSize: 200 }).then((fs) => latest(only(fs, 'burst')).filter((f) => f.subject.value === 'svc-export')));

    it('alerts at most once above low over 24 hours', async () => {
      const found = await ofDay();
      expect(found.length).toBeGreaterThan(12);
      expect(found.filter(atLeastMedium).length).toBeLessThanOrEqual(1);
    });

    it('still finds five times its count', async () => {
      const five = latest(only(await detect([...day, ...job(24, 750)], { detectors, batchSize: 200 }), 'burst')).filter((f) => f.windowStart >= T0 + 24 * HOUR);
      expect(five.length).toBe(1);
      expect(atLeastMedium(five[0]!)).toBe(true);
      expect(five[0]!.evidence.changeFromUsual).toMatch(/x the \d+ it usually reaches$/);
    });
  });
});
