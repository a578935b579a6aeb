import type { RedisClient } from '@vigil/redis';
import { ExpiringRecordStore } from './expiring-store.js';
import { confirmationSchema, type Confirmation } from './confirmation.js';
import { silenceSchema, type Silence } from './silence.js';
import { suppressionSchema, type Suppression } from './suppression.js';

/*
 * One store per kind of record, each under its own hash tag
 * (`<prefix>:{suppressions}:data`, `<prefix>:{silences}:version`…): the
 * detector and notifiers of another release read these same keys.
 */

/** The suppressions store the notifier writes and the detector reads. */
export function createSuppressionStore(redis: RedisClient, prefix: string): ExpiringRecordStore<Suppression> {
  return new ExpiringRecordStore(redis, prefix, 'suppressions', suppressionSchema);
}

/** The silences store the notifier writes and reads. */
export function createSilenceStore(redis: RedisClient, prefix: string): ExpiringRecordStore<Silence> {
  return new ExpiringRecordStore(redis, prefix, 'silences', silenceSchema);
}

/** The confirmations store (true-positive verdicts) the notifier writes and the detector reads. */
export function createConfirmationStore(redis: RedisClient, prefix: string): ExpiringRecordStore<Confirmation> {
  return new ExpiringRecordStore(redis, prefix, 'confirmations', confirmationSchema);
}
