import type { ApiTransaction, ApiTransactionInput } from '@vigil/contracts';
import { createLogger } from '@vigil/telemetry';
import type { Publisher, PublisherStats } from './publisher.js';

/** A Publisher for hook tests: keeps what it is given, and the hook errors it is told about. */
export function recordingPublisher(): Publisher & { events: ApiTransaction[]; errors: unknown[] } {
  const events: ApiTransaction[] = [];
  const errors: unknown[] = [];
  const stats: PublisherStats = { accepted: 0, sent: 0, droppedFull: 0, droppedInvalid: 0, droppedClosed: 0, buffered: 0, failedSends: 0, hookErrors: 0 };
  return {
    events,
    errors,
    publish(event: ApiTransactionInput) {
      events.push(event as ApiTransaction);
      return true;
    },
    flush: async () => ({ delivered: true, pending: 0 }),
    close: async () => ({ delivered: true, pending: 0 }),
    stats: () => ({ ...stats, hookErrors: errors.length }),
    hookFailed: (err) => void errors.push(err),
    logger: createLogger({ service: 'test', level: 'silent' }),
  };
}
