export { covers, scopeOf, suppressionId, suppressionSchema, suppressionScopeSchema, type Suppression, type SuppressionScope } from './suppression.js';
export { MAX_RECORDS, ExpiringRecordStore, createSuppressionStore, type Expiring } from './store.js';
export { RecordWatcher, type RecordWatcherOptions } from './watcher.js';
