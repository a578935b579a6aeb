import { cpus, hostname } from 'node:os';
import { familyGrowth, growth, growthOf, round } from './figures.js';
import { UNEXPIRING } from './key-families.js';
import { soakProblems } from './problems.js';
import type { SoakSettings } from './settings.js';
import type { SoakReport, SoakSample } from './types.js';

export interface ReportInput {
  s: SoakSettings;
  produced: number;
  counts: { malformed: number; avro: number; attacks: number; attackEvents: number };
  /** Wall seconds the load lasted (shorter than the run's length when it was stopped early). */
  producingSeconds: number;
  /** Every sample, those of the drain included. */
  samples: SoakSample[];
  final: SoakSample;
  drainSeconds: number;
  /** [seconds, MB] after each full collection. */
  liveHeap: { detector: { t: number; v: number }[]; notifier: { t: number; v: number }[] };
  receiver: { count: number; byChannel: Record<string, number>; badSignatures: number };
  logs: SoakReport['logs'];
  exitCodes: SoakReport['exitCodes'];
  redisPassword: boolean;
}

/** The run's figures, and the problems the bounds find in them. */
export function soakReport(i: ReportInput): SoakReport {
  const { s, final } = i;
  const m = measure(i);
  const report: SoakReport = {
    minutes: s.minutes,
    rate: s.rate,
    timeScale: s.timeScale,
    warmupSeconds: round(s.warmupSeconds),
    eventsProduced: i.produced,
    eventsConsumed: final.consumed,
    achievedRate: Math.round(i.produced / i.producingSeconds),
    malformedProduced: i.counts.malformed,
    avroProduced: i.counts.avro,
    attacks: i.counts.attacks,
    attackEvents: i.counts.attackEvents,
    deadLetters: final.deadLetters,
    findings: final.findings,
    notifierFindings: final.notifierFindings,
    notifications: i.receiver.count,
    notificationsByChannel: i.receiver.byChannel,
    webhookSignaturesValid: i.receiver.badSignatures === 0,
    drainSeconds: i.drainSeconds,
    lagMax: Math.max(0, ...m.during.map((x) => x.lag)),
    lagMaxAfterWarmup: Math.max(0, ...m.during.filter((x) => x.t >= s.warmupSeconds).map((x) => x.lag)),
    lagEnd: final.lag,
    memoryMeasure: s.minutes >= 10 || !s.traceGc ? 'rss' : 'liveHeap',
    rssGrowthPct: m.detectorRss.pct,
    notifierRssGrowthPct: m.notifierRss.pct,
    liveHeapGrowthPct: m.detectorLiveHeap.pct,
    notifierLiveHeapGrowthPct: m.notifierLiveHeap.pct,
    redisGrowthPct: m.soakRedis.pct,
    redisKeyGrowthPct: Math.max(0, ...m.bigFamilies.map((f) => f.growthPct)),
    redisOverCap: Object.entries(m.redisFamilies)
      .filter(([, f]) => f.entryCap !== undefined && (f.maxEntries ?? 0) > f.entryCap)
      .map(([name, f]) => `${name}: ${f.maxEntries} entries in a key (cap ${f.entryCap})`),
    redisKeysWithoutTtl: Math.max(0, ...i.samples.map((x) => Object.entries(x.soakKeysWithoutTtl).filter(([f]) => !UNEXPIRING.has(f)).reduce((a, [, n]) => a + n, 0))),
    redisFamilies: m.redisFamilies,
    detectorRss: m.detectorRss,
    detectorHeap: m.detectorHeap,
    detectorLiveHeap: m.detectorLiveHeap,
    notifierRss: m.notifierRss,
    notifierLiveHeap: m.notifierLiveHeap,
    soakRedis: m.soakRedis,
    liveHeapMB: { detector: i.liveHeap.detector.map((p) => [p.t, p.v]), notifier: i.liveHeap.notifier.map((p) => [p.t, p.v]) },
    samples: i.samples,
    logs: i.logs,
    exitCodes: i.exitCodes,
    redisPassword: i.redisPassword,
    problems: [],
    machine: `${hostname()} ${cpus().length}x ${cpus()[0]?.model ?? 'cpu'} node ${process.version}`,
  };
  report.problems = soakProblems(report);
  return report;
}

/** Growth after the warm-up, over the samples taken while loaded (up to the last one before the load ended). */
function measure(i: ReportInput) {
  const { warmupSeconds } = i.s;
  const during = i.samples.filter((x) => x.t <= i.producingSeconds + 1);
  const endSeconds = during.at(-1)?.t ?? i.producingSeconds;
  const redisFamilies = familyGrowth(during, warmupSeconds, endSeconds);
  return {
    during,
    detectorRss: growth(during, (x) => x.detectorRssMB, warmupSeconds, endSeconds),
    detectorHeap: growth(during, (x) => x.detectorHeapMB, warmupSeconds, endSeconds),
    notifierRss: growth(during, (x) => x.notifierRssMB, warmupSeconds, endSeconds),
    soakRedis: growth(during, (x) => x.soakRedisMB, warmupSeconds, endSeconds),
    detectorLiveHeap: growthOf(i.liveHeap.detector, warmupSeconds, endSeconds),
    notifierLiveHeap: growthOf(i.liveHeap.notifier, warmupSeconds, endSeconds),
    redisFamilies,
    bigFamilies: Object.values(redisFamilies).filter((f) => f.share >= 0.05 && f.baseKeys > 0),
  };
}
