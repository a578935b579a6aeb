import { createHmac } from 'node:crypto';
import { startHttpSink } from '../support/receivers.js';

export interface ChannelReceiver {
  url: string;
  /** Requests received, in all and by channel (the first path segment: hook, slack, pd). */
  count(): number;
  byChannel(): Record<string, number>;
  /** Webhook deliveries whose X-Vigil-Signature is not the HMAC of their body under the webhook secret. */
  badSignatures(): number;
  stop(): Promise<void>;
}

/**
 * The notifier's channels all pointed at one local receiver: /hook/… for the
 * webhook, /slack/… for Slack, /pd/… answering as PagerDuty's Events API.
 */
export async function startChannelReceiver(webhookSecret: string): Promise<ChannelReceiver> {
  const sink = await startHttpSink({
    answer: (r) => (r.path.startsWith('/pd/') ? { status: 202, body: { status: 'success', message: 'Event processed' } } : { status: 200, body: { ok: true } }),
    keepAliveTimeoutMs: 5000,
  });
  const signature = (body: string) => `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`;
  return {
    url: sink.url,
    count: () => sink.received.length,
    byChannel() {
      const by: Record<string, number> = {};
      for (const r of sink.received) {
        const channel = /^\/([a-z]+)\//.exec(r.path)?.[1] ?? 'other';
        by[channel] = (by[channel] ?? 0) + 1;
      }
      return by;
    },
    badSignatures: () => sink.received.filter((r) => r.path.startsWith('/hook/') && r.headers['x-vigil-signature'] !== signature(r.text)).length,
    stop: sink.stop,
  };
}
