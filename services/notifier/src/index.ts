export { buildNotifier, type NotifierDeps, type NotifierService } from './app.js';
export { loadNotifierConfig, notifierServiceSchema, notifierBindings, type NotifierServiceConfig } from './config.js';
export { createEscalationSource, loadEscalation, type Escalation, type EscalationSource } from './escalation-source.js';
export { tokenMatches, type LockoutOptions } from './api-guard.js';
export { runNotifierMain } from './main.js';
