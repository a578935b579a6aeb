import { setTimeout as sleep } from 'node:timers/promises';

export interface AckOptions {
  /** Asks the collector about these ack ids; answers which are indexed (`{"acks": {"7": true}}`). Throws on failure. */
  query(ids: number[]): Promise<Record<string, boolean>>;
  pollMs: number;
  timeoutMs: number;
}

interface Waiter {
  deadline: number;
  resolve(acked: boolean): void;
}

/**
 * Indexer acknowledgement: waits until the collector says an ackId's events
 * are indexed, polling every id outstanding on the channel in one request.
 * An id not acknowledged by its deadline resolves false (send it again).
 */
export function createAckTracker(o: AckOptions) {
  const waiting = new Map<number, Waiter>();
  let polling = false;

  async function loop(): Promise<void> {
    polling = true;
    while (waiting.size > 0) {
      await sleep(o.pollMs);
      const ids = [...waiting.keys()];
      const acks = await o.query(ids).catch(() => ({}) as Record<string, boolean>);
      const now = Date.now();
      for (const id of ids) {
        const w = waiting.get(id)!;
        if (acks[String(id)] === true || now >= w.deadline) {
          waiting.delete(id);
          w.resolve(acks[String(id)] === true);
        }
      }
    }
    polling = false;
  }

  return {
    wait(ackId: number): Promise<boolean> {
      return new Promise<boolean>((resolve) => {
        // An id handed out again means the collector started over (concurrent batches may legitimately answer out of order, so only a reuse tells): the older one is sent again.
        waiting.get(ackId)?.resolve(false);
        waiting.set(ackId, { deadline: Date.now() + o.timeoutMs, resolve });
        if (!polling) void loop();
      });
    },
  };
}
