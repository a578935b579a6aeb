/** The stable vocabulary of DESIGN.md. Add names; never rename or remove one. */

export const detectorNames = [
  'bola_enumeration',
  'bot',
  'credential_stuffing',
  'burst',
  'volume_anomaly',
  'error_rate',
  'latency_degradation',
  'response_size',
  'schema_drift',
  'rate_limit_exhaustion',
  'known_threat',
  'large_response',
  'new_endpoint',
  'shadow_endpoint',
  'zombie_endpoint',
  'unauthenticated_access',
] as const;
export type DetectorName = (typeof detectorNames)[number];

export const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

/** Severity as a rank, for comparisons: info 0 … critical 4. */
export function severityRank(s: Severity): number {
  return severities.indexOf(s);
}

export const directions = ['inbound', 'outbound'] as const;
export type Direction = (typeof directions)[number];

export const subjectKinds = ['principal', 'ip', 'client', 'route', 'api'] as const;
export type SubjectKind = (typeof subjectKinds)[number];

export const tiers = ['log', 'notify', 'wake_up'] as const;
export type Tier = (typeof tiers)[number];

export const incidentStates = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentState = (typeof incidentStates)[number];

export const incidentChanges = ['opened', 'updated', 'escalated', 'acknowledged', 'resolved', 'reopened', 'silenced'] as const;
export type IncidentChange = (typeof incidentChanges)[number];

/** Default topic names; every service lets users rename them. */
export const defaultTopics = Object.freeze({
  transactions: 'api.transactions',
  transactionsDlq: 'api.transactions.dlq',
  findings: 'api.findings',
  incidents: 'api.incidents',
});
export type TopicRole = keyof typeof defaultTopics;

/** Headers that the detector sets on a dead-lettered message. */
export const dlqHeaders = Object.freeze({
  error: 'vigil-error',
  detail: 'vigil-error-detail',
});
