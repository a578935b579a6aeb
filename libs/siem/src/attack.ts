import type { DetectorName, Finding } from '@vigil/contracts';

/** One MITRE ATT&CK (Enterprise) tactic and technique, with a sub-technique where one names the behaviour. */
export interface AttackMapping {
  tactic: { id: string; name: string };
  technique: { id: string; name: string };
  subtechnique?: { id: string; name: string };
}

const CREDENTIAL_STUFFING: AttackMapping = {
  tactic: { id: 'TA0006', name: 'Credential Access' },
  technique: { id: 'T1110', name: 'Brute Force' },
  subtechnique: { id: 'T1110.004', name: 'Credential Stuffing' },
};
const DATA_FROM_REPOSITORIES: AttackMapping = {
  tactic: { id: 'TA0009', name: 'Collection' },
  technique: { id: 'T1213', name: 'Data from Information Repositories' },
};
const SERVICE_EXHAUSTION_FLOOD: AttackMapping = {
  tactic: { id: 'TA0040', name: 'Impact' },
  technique: { id: 'T1499', name: 'Endpoint Denial of Service' },
  subtechnique: { id: 'T1499.002', name: 'Service Exhaustion Flood' },
};
const EXPLOIT_PUBLIC_FACING: AttackMapping = {
  tactic: { id: 'TA0001', name: 'Initial Access' },
  technique: { id: 'T1190', name: 'Exploit Public-Facing Application' },
};
const APPLICATION_ACCESS_TOKEN: AttackMapping = {
  tactic: { id: 'TA0005', name: 'Defense Evasion' },
  technique: { id: 'T1550', name: 'Use Alternate Authentication Material' },
  subtechnique: { id: 'T1550.001', name: 'Application Access Token' },
};

type Evidence = Finding['evidence'] | undefined;

/**
 * The ATT&CK table of docs/siem.md, one entry per detector. A detector whose signal is operational
 * (errors, latency, quotas, inventory, schema) or not an adversary technique by itself (automation,
 * large responses) maps to nothing. Two depend on the evidence, and so map to nothing for an
 * incident, which carries none: volume_anomaly only for a spike, known_threat only for a leaked key.
 */
const TABLE: Record<DetectorName, (evidence: Evidence) => readonly AttackMapping[]> = {
  credential_stuffing: () => [CREDENTIAL_STUFFING],
  bola_enumeration: () => [DATA_FROM_REPOSITORIES],
  burst: () => [SERVICE_EXHAUSTION_FLOOD],
  volume_anomaly: (e) => (e?.change === 'spike' ? [SERVICE_EXHAUSTION_FLOOD] : []),
  unauthenticated_access: () => [EXPLOIT_PUBLIC_FACING],
  known_threat: (e) => (e?.matchKind === 'key_id' ? [APPLICATION_ACCESS_TOKEN] : []),
  bot: () => [],
  error_rate: () => [],
  latency_degradation: () => [],
  response_size: () => [],
  schema_drift: () => [],
  rate_limit_exhaustion: () => [],
  large_response: () => [],
  new_endpoint: () => [],
  shadow_endpoint: () => [],
  zombie_endpoint: () => [],
};

/** The techniques a finding (with its evidence) or an incident (without) of `detector` indicates. */
export function attacksFor(detector: DetectorName, evidence?: Evidence): readonly AttackMapping[] {
  return TABLE[detector]?.(evidence) ?? [];
}
