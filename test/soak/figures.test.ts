import { describe, expect, it } from 'vitest';
import { familyGrowth, growthOf, liveHeapOf } from './figures.js';
import { ENTRY_CAPPED, familyOf } from './key-families.js';
import { soakProblems } from './problems.js';
import { metricSum } from './sampler.js';
import type { SoakReport, SoakSample } from './types.js';

/** A sample with nothing in it. */
const quiet: SoakSample = {
  t: 0,
  produced: 0,
  consumed: 0,
  lag: 0,
  findings: 0,
  deadLetters: 0,
  detectorRssMB: 0,
  detectorHeapMB: 0,
  detectorHeapTotalMB: 0,
  detectorExternalMB: 0,
  notifierRssMB: 0,
  notifierHeapMB: 0,
  notifierFindings: 0,
  notifications: 0,
  redisUsedMB: 0,
  soakKeys: 0,
  soakRedisMB: 0,
  soakRedisByFamily: {},
  soakKeysByFamily: {},
  soakMaxKeyByFamily: {},
  soakEntriesByFamily: {},
  soakMaxEntriesByFamily: {},
  soakKeysWithoutTtl: {},
};

describe('the soak figures', () => {
  it('reads the live heap from the full collections of a --trace-gc log, timed from the spawn', () => {
    const log = [
      '{"level":30,"msg":"detector consuming"}',
      '[4492:0x290fee50]       36 ms: Scavenge 14.6 (19.0) -> 13.7 (18.2) MB, 5.44 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ',
      '[4492:0x290fee50]     2059 ms: Mark-Compact 18.7 (32.9) -> 14.7 (31.7) MB, 15.34 / 0.00 ms  (average mu = 1.000, current mu = 1.000) testing; GC in old space requested',
      '[4492:0x290fee50]    12059 ms: Mark-Compact (reduce) 40.2 (52.9) -> 21.5 (31.7) MB, 15.34 / 0.00 ms  (average mu = 1.000, current mu = 1.000) idle notification',
    ].join('\n');
    expect(liveHeapOf(log, 1_000_000, 1_001_000)).toEqual([
      { t: 1.1, v: 14.7 },
      { t: 11.1, v: 21.5 },
    ]);
  });

  it('measures growth after the warm-up: the first sixth of the span against the last, and the slope per hour', () => {
    const points = Array.from({ length: 61 }, (_, i) => ({ t: i * 10, v: i * 10 < 300 ? 50 : 100 + (i * 10 - 300) / 30 }));
    const g = growthOf(points, 300, 600);
    // 100 MB at the end of the warm-up, then 2 MB a minute: 300-350 s average 100.8, 550-600 s 109.2.
    expect(g).toEqual({ baseMB: 100.8, endMB: 109.2, pct: 8.3, slopeMBPerHour: 120 });
    expect(growthOf(points.map((p) => ({ ...p, v: 80 })), 300, 600)).toEqual({ baseMB: 80, endMB: 80, pct: 0, slopeMBPerHour: 0 });
  });

  it('holds an entry-capped family to its bytes per entry, whatever its largest key does', () => {
    const sample = (t: number, mb: number, entries: number, maxKey: number): SoakSample => ({
      ...quiet,
      t,
      soakRedisMB: mb,
      soakRedisByFamily: { sc: mb },
      soakKeysByFamily: { sc: 2 },
      soakMaxKeyByFamily: { sc: maxKey },
      soakEntriesByFamily: { sc: entries },
      soakMaxEntriesByFamily: { sc: entries / 2 },
    });
    const samples = [sample(0, 1, 1000, 10_000), sample(60, 2, 2000, 20_000), sample(120, 4, 4000, 40_000)];
    const sc = familyGrowth(samples, 60, 120).sc!;
    expect(sc.entryCap).toBe(ENTRY_CAPPED.sc);
    expect(sc.maxKeyGrowthPct).toBe(100);
    expect(sc.bytesPerEntryGrowthPct).toBe(0);
    expect(sc.growthPct).toBe(0);
    expect(sc.maxEntries).toBe(2000);
  });

  it('sorts soak keys into families by their tag and kind', () => {
    expect(familyOf('soak-x:{accounts}:sc:2026112308', 'soak-x')).toBe('sc');
    expect(familyOf('soak-x:{claims-3}', 'soak-x')).toBe('claims');
    expect(familyOf('soak-x:{notifier}:open', 'soak-x')).toBe('notifier:open');
    expect(familyOf('soak-x:{threats}:doc', 'soak-x')).toBe('threats');
    expect(familyOf('soak-x:plain', 'soak-x')).toBe('other');
  });

  it("sums a metric's samples over its labels", () => {
    const text = ['# HELP vigil_findings_total x', 'vigil_findings_total{detector="bot"} 3', 'vigil_findings_total{detector="burst"} 4', 'vigil_findings_total_other 9', 'vigil_events_consumed_total 12'].join('\n');
    expect(metricSum(text, 'vigil_findings_total')).toBe(7);
    expect(metricSum(text, 'vigil_events_consumed_total')).toBe(12);
  });
});

describe('the soak bounds', () => {
  const passing = {
    rate: 100,
    memoryMeasure: 'liveHeap',
    liveHeapGrowthPct: 2,
    notifierLiveHeapGrowthPct: 1,
    rssGrowthPct: 40,
    notifierRssGrowthPct: 40,
    redisKeyGrowthPct: 3,
    redisFamilies: {},
    redisOverCap: [],
    redisKeysWithoutTtl: 0,
    lagMaxAfterWarmup: 2000,
    eventsConsumed: 12_000,
    eventsProduced: 12_000,
    lagEnd: 0,
    drainSeconds: 2,
    achievedRate: 99,
    deadLetters: 24,
    malformedProduced: 24,
    logs: { detector: 'd.log', notifier: 'n.log', lines: 10, errorLines: 0, secretsFound: [] },
    webhookSignaturesValid: true,
    exitCodes: { detector: 0, notifier: 0 },
  } as unknown as SoakReport;

  it('finds nothing in a run within them (RSS is not judged on a short run)', () => {
    expect(soakProblems(passing)).toEqual([]);
  });

  it('names each bound a run broke', () => {
    const problems = soakProblems({ ...passing, liveHeapGrowthPct: 12, lagMaxAfterWarmup: 3001, deadLetters: 23, logs: { ...passing.logs, secretsFound: ['apiToken'] }, exitCodes: { detector: 0, notifier: 1 } });
    expect(problems).toEqual([
      "the detector's live heap grew 12% after the warm-up (bound 10%)",
      'consumer lag reached 3001 after the warm-up (bound 3000: 30 s of traffic)',
      '23 dead letters for 24 malformed messages',
      'secrets in the logs: apiToken',
      'exit codes: detector 0, notifier 1',
    ]);
  });
});
