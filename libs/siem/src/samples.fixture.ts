import { readFileSync } from 'node:fs';
import { findingSchema, incidentChanges, type Finding, type Incident, type IncidentChange, type IncidentState } from '@vigil/contracts';

/** Test support: the findings of fixtures/findings.json, decoded through the Finding contract (so the fixture stays valid). */
export function sampleFindings(): Finding[] {
  const wire = JSON.parse(readFileSync(new URL('../fixtures/findings.json', import.meta.url), 'utf8')) as unknown[];
  return wire.map((w) => findingSchema.parse(w));
}

const T = Date.UTC(2026, 10, 18, 13, 0, 0);
const STATE: Record<IncidentChange, IncidentState> = {
  opened: 'open',
  updated: 'open',
  escalated: 'open',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  reopened: 'open',
  silenced: 'open',
};

/** An incident change as the notifier publishes it, about trudy's enumeration; `over` changes any field. */
export function sampleIncident(over: Partial<Incident> = {}): Incident {
  const change = over.change ?? 'opened';
  return {
    id: 'inc-bola-trudy',
    version: incidentChanges.indexOf(change) + 1,
    change,
    state: STATE[change],
    tier: change === 'escalated' ? 'wake_up' : 'notify',
    groupKey: 'bola_enumeration|accounts|/users/{id}/account|principal:trudy',
    detector: 'bola_enumeration',
    severity: change === 'escalated' ? 'critical' : 'high',
    api: 'accounts',
    route: '/users/{id}/account',
    subject: { kind: 'principal', value: 'trudy' },
    title: 'trudy requested 32 distinct ids on /users/{id}/account in 2 min (32 ok, 0 denied)',
    ...(change === 'escalated' ? { reason: 'critical severity: confirmed enumeration with successful reads' } : {}),
    findingCount: 3,
    lastFindingId: 'bola_enumeration-bfzw9_1IkNlzbMbMnM-NB5-critical',
    findingIds: ['bola_enumeration-bfzw9_1IkNlzbMbMnM-NB5', 'bola_enumeration-bfzw9_1IkNlzbMbMnM-NB5-r16', 'bola_enumeration-bfzw9_1IkNlzbMbMnM-NB5-critical'],
    firstSeenAt: T,
    lastSeenAt: T + 56_839,
    changedAt: T + 60_000 * (incidentChanges.indexOf(change) + 1),
    ...(change === 'acknowledged' ? { acknowledgedBy: 'alice@example.com' } : {}),
    ...over,
  };
}

/** One change of every kind. */
export const everyIncidentChange = (): Incident[] => incidentChanges.map((change) => sampleIncident({ change }));
