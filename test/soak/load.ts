import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '@vigil/kafka';
import type { VigilProcess } from '../support/vigil-process.js';
import { round } from './figures.js';
import type { MessageMix } from './message-mix.js';
import type { SoakSettings } from './settings.js';
import type { SoakSample } from './types.js';

/** A process of the run, named, with its log. */
export interface RunningProcess {
  name: 'detector' | 'notifier';
  p: VigilProcess;
  log: string;
}

export interface LoadInput {
  s: SoakSettings;
  /** Wall clock at the start of the load. */
  t0: number;
  producer: Producer;
  mix: MessageMix;
  /** Events sent so far (the sampler reads it). */
  progress: { produced: number };
  take: () => Promise<SoakSample>;
  processes: readonly RunningProcess[];
  signal?: AbortSignal;
}

/**
 * The steady load: every 100 ms, the events due at the rate since t0 (a slow
 * send is made up on the next tick), a sample every sampleMs, until the run's
 * length or the signal. Throws if a process exits meanwhile.
 */
export async function produceLoad(i: LoadInput): Promise<void> {
  const { s, t0 } = i;
  const total = Math.floor((s.durationMs / 1000) * s.rate);
  let sampling = Promise.resolve();
  let nextSample = t0 + s.sampleMs;
  while (Date.now() - t0 < s.durationMs && !i.signal?.aborted) {
    const now = Date.now();
    const dead = i.processes.find((c) => c.p.exitCode() !== undefined);
    if (dead) throw new Error(`the ${dead.name} exited during the soak (code ${dead.p.exitCode()}); log: ${dead.log}`);
    i.mix.attackIfDue(now);
    const due = Math.min(Math.floor(((now - t0) / 1000) * s.rate), total) - i.progress.produced;
    if (due > 0) {
      await i.producer.send(s.topics.transactions, await i.mix.tick(now, due));
      i.progress.produced += due;
    }
    if (Date.now() >= nextSample) {
      nextSample += s.sampleMs;
      sampling = sampling.then(() => i.take().then(() => undefined));
    }
    await sleep(Math.max(0, 100 - (Date.now() - now)));
  }
  await sampling;
}

/** Samples until the detector's group reached the end of the topic and the notifier read every finding, for 2 minutes at most. */
export async function drain(take: () => Promise<SoakSample>, produced: number): Promise<{ final: SoakSample; drainSeconds: number }> {
  const start = Date.now();
  let final = await take();
  while ((final.lag > 0 || final.consumed < produced || final.notifierFindings < final.findings) && Date.now() - start < 120_000) {
    await sleep(1000);
    final = await take();
  }
  return { final, drainSeconds: round((Date.now() - start) / 1000) };
}
