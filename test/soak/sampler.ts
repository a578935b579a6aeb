import { readFileSync } from 'node:fs';
import type { Admin } from '@vigil/kafka';
import type { Redis } from '@vigil/redis';
import type { VigilProcess } from '../support/vigil-process.js';
import { MB, round } from './figures.js';
import { soakRedisMemory } from './redis-memory.js';
import type { SoakSample } from './types.js';

/** The sum of a metric's samples in a Prometheus text (any labels). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([-+0-9.eE]+|NaN)$`, 'gm'))) {
    const v = Number(m[1]);
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

/** A process's resident memory from /proc, 0 once it is gone. */
function rssMB(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0; // the process has exited
  }
}

/** /metrics of a process, or nothing when it does not answer within 5 s (a sample must not wait on it). */
async function metricsOf(p: VigilProcess): Promise<string> {
  try {
    return await (await fetch(`${p.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch {
    return '';
  }
}

export interface SamplerDeps {
  detector: VigilProcess;
  notifier: VigilProcess;
  redis: Redis;
  prefix: string;
  admin: Admin;
  detectorGroup: string;
  transactionsTopic: string;
  /** Wall clock at the start of the load: samples are timed from it. */
  t0: number;
  produced: () => number;
  notifications: () => number;
  note: (line: string) => void;
}

/** Samples both processes, the soak's Redis keys and the lag; every sample is kept in `samples` and noted. */
export function createSampler(d: SamplerDeps): { samples: SoakSample[]; take: () => Promise<SoakSample> } {
  const samples: SoakSample[] = [];
  const take = async (): Promise<SoakSample> => {
    const [dm, nm, info, mem, lagParts] = await Promise.all([
      metricsOf(d.detector),
      metricsOf(d.notifier),
      d.redis.info('memory'),
      soakRedisMemory(d.redis, d.prefix),
      d.admin.lag(d.detectorGroup, d.transactionsTopic).catch(() => []),
    ]);
    const s: SoakSample = {
      t: round((Date.now() - d.t0) / 1000),
      produced: d.produced(),
      consumed: metricSum(dm, 'vigil_events_consumed_total'),
      lag: lagParts.reduce((a, p) => a + p.lag, 0),
      // Every finding on the topic: new windows and windows published again as they grew (updates).
      findings: metricSum(dm, 'vigil_findings_total') + metricSum(dm, 'vigil_finding_updates_total'),
      deadLetters: metricSum(dm, 'vigil_events_rejected_total'),
      detectorRssMB: round(rssMB(d.detector.pid)),
      detectorHeapMB: round(metricSum(dm, 'vigil_nodejs_heap_size_used_bytes') / MB),
      detectorHeapTotalMB: round(metricSum(dm, 'vigil_nodejs_heap_size_total_bytes') / MB),
      detectorExternalMB: round(metricSum(dm, 'vigil_nodejs_external_memory_bytes') / MB),
      notifierRssMB: round(rssMB(d.notifier.pid)),
      notifierHeapMB: round(metricSum(nm, 'vigil_nodejs_heap_size_used_bytes') / MB),
      notifierFindings: metricSum(nm, 'vigil_notifier_findings_total'),
      notifications: d.notifications(),
      redisUsedMB: round(Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0) / MB),
      soakKeys: mem.keys,
      soakRedisMB: round(mem.bytes / MB, 2),
      soakRedisByFamily: Object.fromEntries(Object.entries(mem.byFamily).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / MB, 3)])),
      soakKeysByFamily: mem.keysByFamily,
      soakMaxKeyByFamily: mem.maxKeyByFamily,
      soakEntriesByFamily: mem.entriesByFamily,
      soakMaxEntriesByFamily: mem.maxEntriesByFamily,
      soakKeysWithoutTtl: mem.withoutTtl,
    };
    samples.push(s);
    d.note(
      `t=${s.t}s produced=${s.produced} consumed=${s.consumed} lag=${s.lag} detector rss=${s.detectorRssMB}MB heap=${s.detectorHeapMB}MB notifier rss=${s.notifierRssMB}MB soak redis=${s.soakRedisMB}MB (${s.soakKeys} keys) findings=${s.findings} notifications=${s.notifications}`,
    );
    return s;
  };
  return { samples, take };
}
