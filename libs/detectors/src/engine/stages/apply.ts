import { StateError } from '@vigil/errors';
import type { BatchRecord } from '../batch.js';
import type { EngineParts } from '../parts.js';
import { ShardResults } from '../shard-plan.js';
import type { PlannedState } from './plan.js';

/**
 * Stage 4, apply the state: the whole plan in one round trip (one script call
 * per shard). A checkpoint under way that left subjects to this write waits
 * for it. When another consumer moved a shard's fence meanwhile (it still
 * held the partition), nothing of that shard's counters was written: the
 * batch fails, retriable, and is counted again from the new fence.
 */
export async function applyState(parts: EngineParts, batch: BatchRecord, planned: PlannedState): Promise<ShardResults> {
  const applying = parts.store.apply({ now: batch.now, shards: batch.shards.build() });
  parts.checkpointer.writeStarted(planned.checkpoints, applying);
  const results = new ShardResults(await applying);
  parts.checkpointer.written(planned.checkpoints);
  if (results.fenceMoved) {
    throw new StateError('VIGIL_STATE_FENCE_MOVED', `the shared counters' fence of ${batch.source!.key} moved while the batch ran; it is counted again from there`, { retriable: true });
  }
  return results;
}
