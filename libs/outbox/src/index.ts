export { Outbox, type OutboxEntry, type OutboxOptions } from './outbox.js';
export { backoffMs, defaultBackoff, type BackoffOptions } from './backoff.js';
