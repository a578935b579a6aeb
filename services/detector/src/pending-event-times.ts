import type { Logger } from '@vigil/telemetry';
import type { GroupClock } from './group-clock.js';

/** The earliest and latest event time of a batch's events (undefined when none decoded). */
export interface EventTimeSpan {
  earliest: number;
  latest: number;
}

export function eventTimeSpan(events: readonly { timestamp: number }[]): EventTimeSpan | undefined {
  if (events.length === 0) return undefined;
  let earliest = Infinity;
  let latest = -Infinity;
  for (const e of events) {
    if (e.timestamp < earliest) earliest = e.timestamp;
    if (e.timestamp > latest) latest = e.timestamp;
  }
  return { earliest, latest };
}

/**
 * Per partition this process consumes, the earliest event time it still has to process: set when a
 * batch arrives (its earliest event), moved to the batch's latest event when it succeeds with more
 * behind it, removed when the partition is caught up. The earliest over the other partitions holds
 * back the engine's route and api windows (DetectionEngine.process, holdAt): this process's own,
 * and with Redis the whole group's (group-clock.ts).
 */
export interface PendingEventTimes {
  /** Marks the batch's partition pending from its earliest event, and returns where the other partitions hold the windows (undefined: nowhere). */
  batchArrived(partition: string, span: EventTimeSpan | undefined): Promise<number | undefined>;
  /** After a batch succeeded with `behind` messages left in its partition. */
  batchSucceeded(partition: string, span: EventTimeSpan | undefined, behind: number): Promise<void>;
  /** Partitions may have moved (a new group generation): those no longer ours must not hold the windows back. */
  forgetAll(): void;
}

export function createPendingEventTimes(clock: GroupClock, log: Logger): PendingEventTimes {
  const pendingSince = new Map<string, number>();
  return {
    batchArrived(partition, span) {
      if (span) pendingSince.set(partition, Math.min(span.earliest, pendingSince.get(partition) ?? Infinity));
      return clock.share(pendingSince, partition);
    },
    async batchSucceeded(partition, span, behind) {
      if (behind === 0) {
        // Caught up: stop holding the group's windows now, not when the shared entry goes stale (best effort: it does in 30 s).
        if (pendingSince.delete(partition)) {
          await clock.release(partition).catch((err: unknown) => log.debug({ err, partition }, 'could not release the window clock'));
        }
      } else if (span) pendingSince.set(partition, span.latest);
    },
    forgetAll() {
      pendingSince.clear();
    },
  };
}
