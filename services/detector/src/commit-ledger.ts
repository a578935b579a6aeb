import type { CommitOffset } from '@vigil/kafka';

/**
 * The consumer's offsets, after kafkajs's consumer/offsetManager: per partition of one topic, the
 * offset after the last batch that succeeded (what a commit would say) and the last one committed,
 * within one group generation. Offsets are committed only after a checkpoint that holds those
 * batches' subject state, so the service asks `toCommit()` when it flushes, not after each batch.
 */
export interface CommitLedger {
  /** Bumped by every join of the group. */
  readonly generation: number;
  /** The group joined again: partitions may have moved, so every offset held is forgotten. */
  join(): void;
  /**
   * Records that a batch of `partition` succeeded up to `lastOffset` (its last message). A batch
   * started in an older generation is not recorded (its partition may belong to another member now);
   * returns whether it was.
   */
  succeeded(partition: number, lastOffset: string, startedIn: number): boolean;
  /** The offsets a flush should commit: each partition whose last success is not what was last committed. */
  toCommit(): CommitOffset[];
  /** Records a commit the broker accepted. */
  committed(offsets: readonly CommitOffset[]): void;
}

export function createCommitLedger(topic: string): CommitLedger {
  if (!topic) throw new TypeError('createCommitLedger: a topic is required');
  const succeededUpTo = new Map<number, string>();
  const lastCommitted = new Map<number, string>();
  let generation = 0;
  return {
    get generation() {
      return generation;
    },
    join() {
      generation++;
      succeededUpTo.clear();
      lastCommitted.clear();
    },
    succeeded(partition, lastOffset, startedIn) {
      if (startedIn !== generation) return false;
      // Kafka commits the next offset to read; offsets are int64, past Number's exact range.
      succeededUpTo.set(partition, (BigInt(lastOffset) + 1n).toString());
      return true;
    },
    toCommit() {
      return [...succeededUpTo].filter(([partition, offset]) => lastCommitted.get(partition) !== offset).map(([partition, offset]) => ({ topic, partition, offset }));
    },
    committed(offsets) {
      for (const o of offsets) lastCommitted.set(o.partition, o.offset);
    },
  };
}
