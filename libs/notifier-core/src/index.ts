export { channelSchema, escalationConfigSchema, matcherSchema, parseEscalationConfig, secretRefSchema, type ChannelConfig, type EscalationConfig, type Matcher, type SecretRef } from './config.js';
export {
  acknowledge,
  applyFinding,
  groupKeyOf,
  inQuietHours,
  incidentId,
  incidentRecord,
  matches,
  resolve,
  silence,
  tick,
  tierFor,
  type IncidentState,
  type Notification,
  type Transition,
} from './incident.js';
