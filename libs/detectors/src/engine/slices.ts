import type { BatchOutcome } from './batch.js';

/**
 * A batch whose events span more event time than `sliceMs` (a backlog: a consumer catching up after an
 * outage) is counted and judged in consecutive slices, in the batch's order, so that its route windows are
 * judged as they pass, as live batches would, instead of once at its end. Each slice costs a state round
 * trip: at most `MAX_SLICES` of them.
 */
export const MAX_SLICES = 32;
/** The `sliceMs` the detector service (`consumer.sliceMs`) and `vigil backtest` (`--slice-ms`) use unless told otherwise. */
export const DEFAULT_SLICE_MS = 60_000;

/**
 * Where a batch is cut into slices of at most `sliceMs` of event time, in the batch's order: the indexes where
 * slices start, and the batch's length; undefined when it is one slice. A slice ends when the latest event time
 * so far passes its start's by the span: a late event (older than those before it) never cuts. At most `max`
 * slices: a batch spanning more than `max` × `sliceMs` is cut into `max` slices of equal span.
 */
export function sliceBounds(batch: readonly { timestamp: number }[], sliceMs: number, max: number): number[] | undefined {
  let latest = batch[0]!.timestamp;
  let anchor = latest;
  for (let i = 1; i < batch.length; i++) if (batch[i]!.timestamp > latest) latest = batch[i]!.timestamp;
  if (latest - anchor < sliceMs) return undefined;
  const spanMs = Math.max(sliceMs, Math.ceil((latest - anchor) / max));
  let cuts: number[] | undefined;
  latest = anchor;
  for (let i = 1; i < batch.length; i++) {
    const t = batch[i]!.timestamp;
    if (t <= latest) continue;
    latest = t;
    if (latest - anchor < spanMs) continue;
    (cuts ??= [0]).push(i);
    anchor = latest;
    if (cuts.length === max) break;
  }
  if (cuts) cuts.push(batch.length);
  return cuts;
}

/**
 * One outcome for a batch counted in slices. No id repeats across them: what the earlier slices found counts as
 * published for the later ones (processInSlices), which count a window again as a duplicate or publish it raised.
 */
export function mergeOutcomes(outcomes: readonly BatchOutcome[]): BatchOutcome {
  const merged: BatchOutcome = { findings: [], duplicates: 0, events: 0, apiRates: [], apiMinutes: [], capped: { routes: 0, checkpoints: 0 } };
  for (const o of outcomes) {
    merged.events += o.events;
    merged.duplicates += o.duplicates;
    merged.findings.push(...o.findings);
    if (o.apiRates) merged.apiRates!.push(...o.apiRates);
    if (o.apiMinutes) merged.apiMinutes!.push(...o.apiMinutes);
    if (o.capped) {
      merged.capped!.routes += o.capped.routes;
      merged.capped!.checkpoints += o.capped.checkpoints;
    }
  }
  return merged;
}

/**
 * Per slice, the earliest event time of the slices after it (or `holdAt`, what other partitions have pending):
 * the window clock waits for them, so that a slice does not close an api minute the slices after it still count.
 */
export function pendingAfterSlices(batch: readonly { timestamp: number }[], cuts: readonly number[], holdAt: number | undefined): (number | undefined)[] {
  const slices = cuts.length - 1;
  const pendingAfter = new Array<number | undefined>(slices);
  let earliest = holdAt ?? Infinity;
  for (let i = slices - 1; i >= 0; i--) {
    pendingAfter[i] = earliest === Infinity ? undefined : earliest;
    for (let j = cuts[i]!; j < cuts[i + 1]!; j++) earliest = Math.min(earliest, batch[j]!.timestamp);
  }
  return pendingAfter;
}
