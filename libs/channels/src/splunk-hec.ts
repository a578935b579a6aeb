import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { VigilError } from '@vigil/errors';
import { scrubSecrets } from '@vigil/telemetry';
import { createBatcher } from './batcher.js';
import { createAckTracker } from './hec-ack.js';
import { hecClient, type HecClient, type HecTls } from './hec-http.js';
import { batchFailure, hecFailure, parseHecAnswer } from './hec-response.js';
import { safeOrigin } from './http.js';
import { siemRecord, type SiemFormat } from './siem-doc.js';
import type { Channel, Message, SendResult } from './types.js';

export interface SplunkHecOptions {
  name: string;
  /** The collector's base URL (https://splunk.example.com:8088); events go to {url}/services/collector/event. */
  url: string;
  /** The HEC token; sent only in the Authorization header, never logged. */
  token: string;
  /** Default ocsf. */
  format?: SiemFormat;
  index?: string;
  /** Default vigil. */
  source?: string;
  /** Default vigil:ocsf or vigil:ecs. */
  sourcetype?: string;
  /** Default this host's name. */
  host?: string;
  batch?: { lingerMs?: number; maxEvents?: number; maxBytes?: number };
  /** Indexer acknowledgement: a send succeeds only once the collector says its events are indexed. */
  useAck?: boolean;
  ackTimeoutMs?: number;
  ackPollMs?: number;
  tls?: HecTls;
  timeoutMs?: number;
  rateLimitPerMinute?: number;
}

/** One HEC event: the document with Splunk's metadata (time in epoch seconds with milliseconds). */
export function hecEvent(m: Message, o: SplunkHecOptions, host: string): string {
  const format = o.format ?? 'ocsf';
  const r = siemRecord(m, format);
  const event: Record<string, unknown> = { time: Math.round(r.time) / 1000, host, source: o.source ?? 'vigil', sourcetype: o.sourcetype ?? `vigil:${format}` };
  if (o.index) event.index = o.index;
  event.event = r.doc;
  return JSON.stringify(event);
}

/**
 * Splunk HTTP Event Collector: messages arriving within a short linger go out
 * in one request of concatenated events; with `useAck`, a batch counts as
 * delivered only once indexed. Busy or unreachable collectors are retried by
 * the outbox; a refused token or refused data is permanent.
 */
export function splunkHecChannel(o: SplunkHecOptions): Channel {
  let base: URL;
  try {
    base = new URL(o.url);
  } catch {
    throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: the URL is not a URL`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: the URL must be http(s), got ${base.protocol}`);
  if (!o.token) throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: a HEC token is required`);
  const client = hecClient(base, o.tls, o.timeoutMs ?? 5000);
  const headers: Record<string, string> = { authorization: `Splunk ${o.token}` };
  if (o.useAck) headers['x-splunk-request-channel'] = randomUUID();
  const origin = safeOrigin(o.url);
  const acks = o.useAck ? createAckTracker({ query: (ids) => queryAcks(client, headers, ids), pollMs: o.ackPollMs ?? 1000, timeoutMs: o.ackTimeoutMs ?? 30_000 }) : undefined;
  const sendBatch = (events: string[]) => postBatch({ name: o.name, origin, client, headers, acks }, events);
  const batcher = createBatcher<string, SendResult>({ lingerMs: o.batch?.lingerMs ?? 200, maxCount: o.batch?.maxEvents ?? 100, maxBytes: o.batch?.maxBytes ?? 1_000_000, flush: sendBatch });
  const host = o.host ?? osHostname();
  return {
    name: o.name,
    type: 'splunk_hec',
    concurrent: true,
    rateLimitPerMinute: o.rateLimitPerMinute,
    send(m: Message): Promise<SendResult> {
      const event = hecEvent(m, o, host);
      return batcher.add(event, Buffer.byteLength(event));
    },
  };
}

interface BatchContext {
  name: string;
  origin: string;
  client: HecClient;
  headers: Record<string, string>;
  acks: ReturnType<typeof createAckTracker> | undefined;
}

/** Sends one batch and waits for its acknowledgement when asked; one result per event. Never throws. */
async function postBatch(c: BatchContext, events: string[]): Promise<SendResult[]> {
  const all = (r: SendResult): SendResult[] => events.map(() => r);
  let reply;
  try {
    reply = await c.client.post('/services/collector/event', events.join('\n'), c.headers);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return all({ ok: false, retryable: true, reason: scrubSecrets(`splunk_hec channel ${c.name}: request to ${c.origin} failed: ${e.code ?? e.name}: ${e.message}`.slice(0, 300)) });
  }
  const answer = parseHecAnswer(reply.text);
  if (reply.status < 200 || reply.status > 299) return batchFailure(events.length, hecFailure(c.name, c.origin, reply.status, answer), answer);
  if (!c.acks) return all({ ok: true });
  if (typeof answer.ackId !== 'number') {
    return all({ ok: false, retryable: false, reason: `splunk_hec channel ${c.name}: useAck is on but ${c.origin} gave no ackId (the token has indexer acknowledgement off); the events were accepted` });
  }
  const indexed = await c.acks.wait(answer.ackId);
  return all(indexed ? { ok: true } : { ok: false, retryable: true, reason: `splunk_hec channel ${c.name}: ${c.origin} did not acknowledge ackId ${answer.ackId} in time; sending again (at least once)` });
}

/** POST /services/collector/ack: which of these ack ids are indexed. */
async function queryAcks(client: HecClient, headers: Record<string, string>, ids: number[]): Promise<Record<string, boolean>> {
  const reply = await client.post('/services/collector/ack', JSON.stringify({ acks: ids }), headers);
  if (reply.status !== 200) throw new Error(`ack query answered ${reply.status}`);
  const acks = (parseHecAnswer(reply.text) as { acks?: Record<string, boolean> }).acks;
  return typeof acks === 'object' && acks !== null ? acks : {};
}
