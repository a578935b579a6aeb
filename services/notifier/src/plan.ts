import type { Finding, Incident, Tier } from '@vigil/contracts';
import type { Message } from '@vigil/channels';
import { incidentRecord, type EscalationConfig, type IncidentState, type Transition } from '@vigil/notifier-core';

/** What the outbox carries: an incident change for Kafka, or a notification for one channel. */
export type Delivery =
  | { to: 'incidents'; incident: Incident }
  | { to: 'channel'; channel: string; message: Message; /** wall clock when the finding arrived, for the latency histogram */ receivedAt: number };

export interface PlannedEntry {
  /** Deterministic: the same transition from the same stored revision gives the same ids, so a retried batch queues nothing twice. */
  id: string;
  delivery: Delivery;
}

const tierOrder: readonly Tier[] = ['log', 'notify', 'wake_up'];

/** The channels a notification goes to: its tier's; an acknowledge or resolve also tells the lower tiers that were told before. */
export function channelsFor(kind: Message['kind'], tier: Tier, config: EscalationConfig): string[] {
  const tiersToTell = kind === 'acknowledge' || kind === 'resolve' ? tierOrder.slice(0, tierOrder.indexOf(tier) + 1) : [tier];
  const names = new Set<string>();
  for (const t of tiersToTell) for (const c of config.tiers[t]) if (c !== 'log') names.add(c);
  return [...names];
}

/**
 * The outbox entries of one transition that will be stored as revision
 * `rev`: the Incident v1 change (if any) and, unless the incident is
 * silenced (by itself or by a matching silence), one notification per
 * channel of its tier; with the finding that caused it, one finding message
 * per channel in `findingChannels`.
 */
export function plan(t: Transition, rev: number, config: EscalationConfig, now: number, receivedAt: number, silencedByMatcher = false, finding?: Finding): { entries: PlannedEntry[]; muted: number } {
  const s: IncidentState = t.state;
  const entries: PlannedEntry[] = [];
  if (t.change) entries.push({ id: `${s.id}.r${rev}.incident`, delivery: { to: 'incidents', incident: t.change } });
  const silenced = silencedByMatcher || (s.silencedUntil !== undefined && s.silencedUntil > now);
  let muted = 0;
  for (const n of t.notifications) {
    const channels = channelsFor(n.kind, n.tier, config);
    if (silenced) {
      muted += channels.length;
      continue;
    }
    const incident = t.change ?? incidentRecord(s, 'updated', n.reason, now);
    for (const channel of channels) {
      const message: Message = { key: `${s.id}.r${rev}.${n.kind}`, kind: n.kind, tier: n.tier, reason: n.reason, incident };
      entries.push({ id: `${s.id}.r${rev}.${n.kind}.${channel}`, delivery: { to: 'channel', channel, message, receivedAt } });
    }
  }
  if (finding) entries.push(...findingEntries(finding, t, rev, config, now, receivedAt));
  return { entries, muted };
}

/** The finding for each channel fed every finding (a SIEM's record, so silences do not mute it), under ids of the same revision. */
function findingEntries(finding: Finding, t: Transition, rev: number, config: EscalationConfig, now: number, receivedAt: number): PlannedEntry[] {
  const s = t.state;
  const incident = t.change ?? incidentRecord(s, 'updated', undefined, now);
  return config.findingChannels.map((channel) => {
    const message: Message = { key: `${s.id}.r${rev}.finding`, kind: 'finding', tier: s.tier, reason: `finding ${finding.id}`, incident, finding };
    return { id: `${s.id}.r${rev}.finding.${channel}`, delivery: { to: 'channel', channel, message, receivedAt } };
  });
}
