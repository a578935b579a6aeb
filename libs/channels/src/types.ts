import type { Finding, Incident, Tier } from '@vigil/contracts';

/** What a channel is asked to deliver: one incident state and what to do with it. */
export interface Message {
  /** Stable per incident and notification: receivers and the outbox deduplicate on it. */
  key: string;
  /** `finding`: one finding for a channel fed every finding (a SIEM); `finding` is then set. */
  kind: 'trigger' | 'repeat' | 'acknowledge' | 'resolve' | 'digest' | 'finding';
  tier: Tier;
  reason: string;
  incident: Incident;
  /** For digests: how many notifications this one stands for. */
  count?: number;
  /** For kind `finding`: the finding itself (the incident is the one it joined). */
  finding?: Finding;
}

export type SendResult = { ok: true } | { ok: false; retryable: boolean; reason: string };

/** A notification channel: one method, after Alertmanager's notifiers. It never throws for delivery failures. */
export interface Channel {
  readonly name: string;
  readonly type: 'log' | 'webhook' | 'slack' | 'pagerduty' | 'opsgenie' | 'alertmanager' | 'email' | 'syslog' | 'splunk_hec';
  send(message: Message): Promise<SendResult>;
  /** True when sends may overlap because the channel batches them itself (the delivery loop then sends a channel's messages concurrently). */
  readonly concurrent?: boolean;
  /** This channel's own messages per minute, instead of the escalation config's (a SIEM takes far more than a person). */
  readonly rateLimitPerMinute?: number;
}
