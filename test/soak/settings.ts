import { uniqueName } from '../support/helpers.js';
import type { SoakOptions } from './types.js';

/** A run's settings: the options with their defaults, and the names of everything it creates. */
export interface SoakSettings {
  minutes: number;
  rate: number;
  durationMs: number;
  sampleMs: number;
  timeScale: number;
  warmupSeconds: number;
  malformedShare: number;
  avroShare: number;
  attackEveryMs: number;
  partitions: number;
  traceGc: boolean;
  brokers: string;
  registryUrl: string;
  /** The stack's Redis, in the soak's own database. */
  redisUrl: URL;
  /** Names the run's topics, groups, keys (its prefix), Redis user and logs. */
  run: string;
  topics: { transactions: string; dlq: string; findings: string; incidents: string };
  groups: { detector: string; notifier: string };
  aclUser: string;
  /** Seeds the traffic: a run's own, from its name. */
  seed: number;
}

export function soakSettings(o: SoakOptions): SoakSettings {
  const minutes = o.minutes;
  const redisUrl = new URL(o.redisUrl ?? 'redis://127.0.0.1:16379');
  redisUrl.pathname = `/${o.redisDb ?? 11}`;
  const run = uniqueName('soak');
  return {
    minutes,
    rate: o.rate,
    durationMs: Math.round(minutes * 60_000),
    sampleMs: Math.round((o.sampleEverySeconds ?? Math.min(30, Math.max(5, (minutes * 60) / 60))) * 1000),
    // Event time is compressed to 4 hours over the run, so the subjects' state (hour-long windows, three hour rows) fills in the warm-up and turns over (see soak-rig.ts).
    timeScale: o.timeScale ?? Math.max(1, 240 / minutes),
    warmupSeconds: (o.warmupFraction ?? 0.5) * minutes * 60,
    malformedShare: o.malformedShare ?? 0.002,
    avroShare: o.avroShare ?? 0.1,
    attackEveryMs: (o.attackEverySeconds ?? Math.min(60, (minutes * 60) / 6)) * 1000,
    partitions: o.partitions ?? 6,
    traceGc: o.traceGc ?? true,
    brokers: o.kafkaBrokers ?? '127.0.0.1:19092',
    registryUrl: o.schemaRegistryUrl ?? 'http://127.0.0.1:18081/apis/ccompat/v7',
    redisUrl,
    run,
    topics: { transactions: `${run}.tx`, dlq: `${run}.dlq`, findings: `${run}.findings`, incidents: `${run}.incidents` },
    groups: { detector: `${run}-detector`, notifier: `${run}-notifier` },
    aclUser: `vigil-${run}`,
    seed: Number.parseInt(run.slice(-4), 16) || 1,
  };
}
