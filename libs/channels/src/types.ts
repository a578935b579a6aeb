import type { Incident, Tier } from '@vigil/contracts';

/** What a channel is asked to deliver: one incident state and what to do with it. */
export interface Message {
  /** Stable per incident and notification: receivers and the outbox deduplicate on it. */
  key: string;
  kind: 'trigger' | 'repeat' | 'acknowledge' | 'resolve' | 'digest';
  tier: Tier;
  reason: string;
  incident: Incident;
  /** For digests: how many notifications this one stands for. */
  count?: number;
}

export type SendResult = { ok: true } | { ok: false; retryable: boolean; reason: string };

/** A notification channel: one method, after Alertmanager's notifiers. It never throws for delivery failures. */
export interface Channel {
  readonly name: string;
  readonly type: 'log' | 'webhook' | 'slack' | 'pagerduty' | 'opsgenie' | 'alertmanager' | 'email';
  send(message: Message): Promise<SendResult>;
}
