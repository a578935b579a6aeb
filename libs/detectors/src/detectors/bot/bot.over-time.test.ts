import { severityRank, type ApiTransaction, type Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, latest, only, tx } from '../../testing.js';
import { bot } from './index.js';

/** bot over time: wherever a bot falls relative to the clock, slow scrapers, and a job's own rhythm. */
const detectors = [bot];
const PYTHON = 'python-requests/2.32.3';
const atLeastMedium = (f: Finding) => severityRank(f.severity) >= severityRank('medium');

/** `count` calls by `principal`, `gapMs` apart from `from`, on /prices (or `path(i)`). */
function calls(principal: string, from: number, count: number, gapMs: number, o: { ip?: string; path?: (i: number) => string } = {}): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({ id: `b-${principal}-${from}-${i}`, timestamp: from + i * gapMs, path: o.path?.(i) ?? '/prices', principal, clientIp: o.ip ?? '192.0.2.77', userAgent: PYTHON }),
  );
}

describe('bot over time', () => {
  it('finds 40 metronome-regular calls in 80 s wherever they fall relative to the 5-minute clock (every 15-second offset)', async () => {
    const misses: number[] = [];
    for (let offset = 0; offset < 5 * MINUTE; offset += 15_000) {
      const start = T0 + 20 * MINUTE + offset;
      const events = [...background({ from: T0, to: T0 + 30 * MINUTE, perMinute: 20 }), ...calls('client-x', start, 40, 2_000)];
      const found = latest(only(await detect(events, { detectors, batchSize: [40, 300][offset % 2] }), 'bot')).filter((f) => f.subject.value === 'client-x');
      if (found.length !== 1 || found[0]!.severity !== 'medium' || found[0]!.windowStart !== Math.floor(start / 10_000) * 10_000) misses.push(offset);
    }
    expect(misses).toEqual([]);
  });

  it('finds a slow scraper over the hour: a call every 20 s, too slow for any 5 minutes', async () => {
    const start = T0 + 30 * MINUTE;
    const events = [...background({ from: T0, to: start + 80 * MINUTE, perMinute: 20 }), ...calls('scraper', start, 180, 20_000, { path: (i) => `/catalog/item-${i}` })];
    const found = only(await detect(events, { detectors, batchSize: 200 }), 'bot').filter((f) => f.subject.value === 'scraper');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.evidence.windowMinutes).toBe(60);
    expect(found[0]!.detectedAt - start).toBeLessThanOrEqual(45 * MINUTE);
  });

  describe("a service account's job: 150 regular calls at the top of every hour", () => {
    const job = (h: number, count = 150, ip = '10.9.0.5') => calls('svc-sync', T0 + h * HOUR, count, 400, { ip });
    const day = [...background({ from: T0, to: T0 + 25 * HOUR, perMinute: 10 }), ...Array.from({ length: 24 }, (_, h) => job(h)).flat()];
    let run: Promise<Finding[]> | undefined;
    const ofDay = () => (run ??= detect(day, { detectors, batchSize: 200 }).then((fs) => latest(only(fs, 'bot')).filter((f) => f.subject.value === 'svc-sync')));

    it('alerts at most once above low over 24 hours', async () => {
      const found = await ofDay();
      expect(found.filter(atLeastMedium).length).toBeLessThanOrEqual(1);
      expect(found.filter((f) => f.evidence.usual !== undefined).length).toBeGreaterThan(12);
    });

    it('still finds five times its count, or the job run from a new address', async () => {
      const after = T0 + 24 * HOUR;
      const five = latest(only(await detect([...day, ...job(24, 750)], { detectors, batchSize: 200 }), 'bot')).filter((f) => f.windowStart >= after);
      expect(five.map((f) => f.severity)).toEqual(['medium']);
      const moved = latest(only(await detect([...day, ...job(24, 150, '198.51.100.200')], { detectors, batchSize: 200 }), 'bot')).filter((f) => f.windowStart >= after);
      expect(moved.map((f) => [f.severity, f.evidence.changeFromUsual])).toEqual([['medium', 'from an address it never used for this before (198.51.100.200)']]);
    });
  });
});
