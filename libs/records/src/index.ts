export { covers, scopeOf, suppressionId, suppressionSchema, suppressionScopeSchema, type Suppression, type SuppressionScope } from './suppression.js';
export { newSilenceId, silenceSchema, type Silence } from './silence.js';
export { MAX_RECORDS, ExpiringRecordStore, type Expiring } from './expiring-store.js';
export { confirmationId, confirmationSchema, type Confirmation } from './confirmation.js';
export { createConfirmationStore, createSilenceStore, createSuppressionStore } from './stores.js';
export { RecordWatcher, type RecordWatcherOptions } from './watcher.js';
