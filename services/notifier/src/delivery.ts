import { setTimeout as sleep } from 'node:timers/promises';
import { createCodec, incidentContract, tiers, type Tier } from '@vigil/contracts';
import type { Channel, Message, SendResult } from '@vigil/channels';
import { isRetriable } from '@vigil/errors';
import type { Producer } from '@vigil/kafka';
import type { Outbox, OutboxEntry } from '@vigil/outbox';
import { createKeyspace, loadScripts, type RedisClient } from '@vigil/redis';
import type { Logger } from '@vigil/telemetry';
import type { NotifierMetrics } from './metrics.js';
import type { Delivery } from './plan.js';
import { NOTIFIER_SLOT } from './store.js';

const MINUTE = 60_000;
type ReserveClient = RedisClient & { vigilNotifierReserveV1(key: string, want: number, limit: number, ttlMs: number): Promise<number> };

export interface DeliveryDeps {
  outbox: Outbox;
  redis: RedisClient;
  prefix: string;
  producer: Producer;
  incidentsTopic: string;
  /** Channels by name, as the current escalation config defines them. */
  channels: () => ReadonlyMap<string, Channel>;
  rateLimitPerMinute: () => number;
  clock: () => number;
  logger: Logger;
  metrics: NotifierMetrics;
  claimLimit: number;
  /** True once the service is stopping: recording a delivery stops being retried. */
  stopping: () => boolean;
}

interface Claimed {
  entry: OutboxEntry;
  delivery: Delivery;
}

/**
 * One pass over the outbox: claim what is due (leased, so a crash hands it
 * to the next pass), publish incident changes to Kafka, and send
 * notifications through each channel within its per-minute budget. What the
 * budget cannot take is deferred to the next minute and then goes out in one
 * digest, so an alert storm becomes a few messages instead of a thousand.
 */
export function createDelivery(deps: DeliveryDeps) {
  const log = deps.logger.child({ component: 'delivery' });
  const keys = createKeyspace(deps.prefix);
  loadScripts(deps.redis, new URL('../lua/', import.meta.url), { vigilNotifierReserveV1: 'reserve-1.lua' });
  const redis = deps.redis as ReserveClient;
  const incidentCodec = createCodec(incidentContract, { topic: deps.incidentsTopic });

  /**
   * Records entries as delivered. What went out must not go out again
   * because Redis was away when it came back: the ack (idempotent) is
   * retried until Redis answers. Giving up would make this very loop claim
   * the entries again and send them twice; holding on can only overlap with
   * another replica once the claim's lease has run out (receivers can drop
   * that one by its x-vigil-key). Only stopping the service ends the wait.
   */
  async function recordDelivered(entries: readonly OutboxEntry[]): Promise<void> {
    for (let attempt = 0, delay = 100; ; attempt++, delay = Math.min(delay * 2, 1000)) {
      try {
        // Concurrent calls share the connection's pipeline: one round trip for a whole digest.
        await Promise.all(entries.map((e) => deps.outbox.ack(e.id)));
        if (attempt > 0) log.info({ entries: entries.length, entry: entries[0]?.id, attempts: attempt + 1 }, 'delivery recorded once Redis answered again');
        return;
      } catch (err) {
        if (!isRetriable(err) || deps.stopping()) throw err;
        if (attempt === 0) log.warn({ err, entries: entries.length, entry: entries[0]?.id }, 'delivered, but recording it failed; retrying so it is not sent twice');
        await sleep(delay);
      }
    }
  }

  /** Records the outcome of one message for its entries (a digest has many). */
  async function settle(entries: readonly OutboxEntry[], result: SendResult, channel: string, kind: string): Promise<void> {
    if (result.ok) {
      await recordDelivered(entries);
      deps.metrics.sent.labels(channel, kind).inc();
      return;
    }
    deps.metrics.failed.labels(channel, result.retryable ? 'retryable' : 'permanent').inc();
    const delays = await Promise.all(entries.map((e) => deps.outbox.fail(e, result.retryable, result.reason, deps.clock())));
    const buried = delays.filter((d) => d === undefined).length;
    const delay = delays.find((d) => d !== undefined);
    const context = { channel, kind, entries: entries.length, entry: entries[0]?.id, attempts: (entries[0]?.attempts ?? 0) + 1, reason: result.reason };
    if (buried > 0) log.error({ ...context, buried }, 'notification could not be delivered; it is in the dead set');
    if (buried < entries.length) log.warn({ ...context, retryInMs: delay }, 'notification failed; will retry');
  }

  async function send(channel: Channel, m: Message): Promise<SendResult> {
    try {
      return await channel.send(m);
    } catch (err) {
      // Channels classify failures themselves; a throw is unexpected: retry it, say why.
      return { ok: false, retryable: true, reason: `channel threw: ${(err as Error).message}` };
    }
  }

  async function publishIncidents(items: Claimed[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await deps.producer.send(
        deps.incidentsTopic,
        items.map(({ delivery }) => {
          const inc = (delivery as Extract<Delivery, { to: 'incidents' }>).incident;
          return { key: inc.id, value: incidentCodec.encodeJson(inc) };
        }),
      );
    } catch (err) {
      log.warn({ err, changes: items.length }, 'publishing incident changes failed; will retry');
      await Promise.all(items.map(({ entry }) => deps.outbox.fail(entry, true, `kafka: ${(err as Error).message}`, deps.clock())));
      return;
    }
    await recordDelivered(items.map((i) => i.entry));
  }

  async function deliverChannel(name: string, items: Claimed[]): Promise<void> {
    const channel = deps.channels().get(name);
    if (!channel) {
      await settle(items.map((i) => i.entry), { ok: false, retryable: false, reason: `no channel named ${name} in the escalation config` }, name, 'unknown');
      return;
    }
    const now = deps.clock();
    const minute = Math.floor(now / MINUTE);
    const fresh = items.filter((i) => !i.entry.deferred);
    const held = items.filter((i) => i.entry.deferred);
    const want = fresh.length + (held.length > 0 ? 1 : 0);
    const limit = channel.rateLimitPerMinute ?? deps.rateLimitPerMinute();
    const take = await redis.vigilNotifierReserveV1(keys.key(NOTIFIER_SLOT, 'rate', name, String(minute)), want, limit, 2 * MINUTE);
    if (take === 0) {
      await Promise.all(items.map(({ entry }) => deps.outbox.defer(entry.id, (minute + 1) * MINUTE)));
      return;
    }
    const alone = take >= want ? fresh : fresh.slice(0, take - 1);
    const digest = take >= want ? held : [...held, ...fresh.slice(take - 1)];
    const sendAlone = async ({ entry, delivery }: Claimed): Promise<void> => {
      const d = delivery as Extract<Delivery, { to: 'channel' }>;
      if (entry.attempts > 0) deps.metrics.retried.labels(name).inc();
      const result = await send(channel, d.message);
      if (result.ok && entry.attempts === 0 && d.message.kind === 'trigger') deps.metrics.latency.labels(d.message.tier).observe(Math.max(0, Date.now() - d.receivedAt) / 1000);
      await settle([entry], result, name, d.message.kind);
    };
    // A batching channel (Splunk HEC) gets its messages at once so they can share requests; the others one by one, in order.
    if (channel.concurrent) await Promise.all(alone.map(sendAlone));
    else for (const item of alone) await sendAlone(item);
    if (digest.length > 0) {
      const messages = digest.map((i) => (i.delivery as Extract<Delivery, { to: 'channel' }>).message);
      const latest = messages[messages.length - 1]!;
      const tier = messages.reduce<Tier>((t, m) => (tiers.indexOf(m.tier) > tiers.indexOf(t) ? m.tier : t), 'log');
      const incidents = new Set(messages.map((m) => m.incident.id));
      const reason = `${messages.length} notifications about ${incidents.size} incidents were held by the rate limit of ${name} (${limit} a minute)`;
      const result = await send(channel, { key: `digest.${name}.${minute}.${latest.key}`, kind: 'digest', tier, reason, incident: latest.incident, count: messages.length });
      if (result.ok) deps.metrics.digested.labels(name).inc(messages.length);
      await settle(digest.map((i) => i.entry), result, name, 'digest');
    }
  }

  return {
    /** One pass; returns how many entries it handled. */
    async deliverOnce(): Promise<number> {
      const claimed = await deps.outbox.claim(deps.clock(), deps.claimLimit);
      if (claimed.length === 0) return 0;
      const incidents: Claimed[] = [];
      const byChannel = new Map<string, Claimed[]>();
      for (const entry of claimed) {
        let delivery: Delivery;
        try {
          delivery = JSON.parse(entry.payload) as Delivery;
        } catch {
          await deps.outbox.fail(entry, false, 'unreadable outbox payload', deps.clock());
          continue;
        }
        if (delivery.to === 'incidents') incidents.push({ entry, delivery });
        else {
          const list = byChannel.get(delivery.channel) ?? [];
          list.push({ entry, delivery });
          byChannel.set(delivery.channel, list);
        }
      }
      // Channels are independent: a slow one does not hold up the others.
      await Promise.all([publishIncidents(incidents), ...[...byChannel].map(([name, items]) => deliverChannel(name, items))]);
      return claimed.length;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDelivery>;
