import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiTransaction } from '@vigil/contracts';
import type { Simulation } from './simulate.js';

/** Event-time ms per wall-clock ms: Infinity for `max`, 1 for `realtime`, or a factor (`60`, `x60`). */
export function parseSpeed(speed: string): number {
  if (speed === 'max') return Infinity;
  if (speed === 'realtime') return 1;
  const m = /^x?(\d+(?:\.\d+)?)$/.exec(speed);
  if (!m || Number(m[1]) <= 0) throw new Error(`--speed must be max, realtime or a factor such as 60 (got ${JSON.stringify(speed)})`);
  return Number(m[1]);
}

/**
 * Hands the events to `emit` in slices, waiting so that event time runs
 * `factor` times faster than the wall clock (all at once for Infinity).
 * Stops early when `signal` aborts; returns how many events were emitted.
 */
export async function paced(sim: Pick<Simulation, 'events' | 'start'>, factor: number, emit: (events: ApiTransaction[]) => Promise<void>, signal?: AbortSignal): Promise<number> {
  const wallStart = Date.now();
  let sent = 0;
  for (let i = 0; i < sim.events.length && !signal?.aborted; ) {
    let j = i + 1;
    if (Number.isFinite(factor)) {
      const due = wallStart + (sim.events[i]!.timestamp - sim.start) / factor;
      const wait = due - Date.now();
      if (wait > 0) await sleep(Math.min(wait, 1000), undefined, { signal }).catch(() => undefined);
      if (Date.now() < due) continue;
      // Everything due by now goes in one slice.
      const nowEvent = sim.start + (Date.now() - wallStart) * factor;
      while (j < sim.events.length && sim.events[j]!.timestamp <= nowEvent && j - i < 5000) j++;
    } else j = Math.min(sim.events.length, i + 5000);
    await emit(sim.events.slice(i, j));
    sent += j - i;
    i = j;
  }
  return sent;
}
