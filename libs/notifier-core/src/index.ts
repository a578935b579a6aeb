export { escalationConfigSchema, matcherSchema, parseEscalationConfig, type EscalationConfig, type Matcher } from './config.js';
export {
  acknowledge,
  applyFinding,
  groupKeyOf,
  inQuietHours,
  incidentId,
  matches,
  resolve,
  tick,
  tierFor,
  type IncidentState,
  type Notification,
  type Transition,
} from './incident.js';
