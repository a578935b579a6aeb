import type { EnrichedEvent } from '../types.js';
import type { Actor, BatchSource } from './batch.js';

/**
 * Replays: a batch fetched again (it failed after a write, or a restart or a rebalance went back to the last
 * commit) holds events that subject state or an api's shared counters have counted already. Both note, per
 * partition, the offset they hold the events up to (their fence); an event at or before it is seen again
 * (views, evidence) but not counted again.
 */

/** A fence that reaches into the batch: at or past its first offset, and before the high watermark (one past that is stale). */
function reachesInto(fence: number | undefined, source: BatchSource): fence is number {
  return fence !== undefined && fence >= source.offsets[0]! && (source.highWatermark === undefined || fence < source.highWatermark);
}

/** The apis whose shared counters hold some of the batch's events already, with their fence; undefined when none does. */
export function replayedShared(source: BatchSource, fences: ReadonlyMap<string, number>): Map<string, number> | undefined {
  let replayed: Map<string, number> | undefined;
  for (const [api, fence] of fences) if (reachesInto(fence, source)) (replayed ??= new Map()).set(api, fence);
  return replayed;
}

/**
 * Marks the batch's actors whose state holds some of its events already (`actor.fence`: a fence at or past the
 * batch's first offset and before the high watermark; one past that is stale and left unmarked, to be replaced),
 * and then gives each event's offset; undefined when no actor does and no api's shared counters do
 * (`sharedReplayed`): the usual batch, with nothing to look up per event.
 */
export function replayedOffsets(inOrder: readonly EnrichedEvent[], source: BatchSource, actors: readonly Actor[], sharedReplayed: boolean): Map<EnrichedEvent, number> | undefined {
  let any = sharedReplayed;
  for (const actor of actors) {
    const fence = actor.state!.fences.get(source.key);
    if (!reachesInto(fence, source)) continue;
    actor.fence = fence;
    any = true;
  }
  if (!any) return undefined;
  const offsets = new Map<EnrichedEvent, number>();
  for (let i = 0; i < inOrder.length; i++) offsets.set(inOrder[i]!, source.offsets[i]!);
  return offsets;
}
