import type { ApiTransaction } from '@vigil/contracts';
import { LIMITS, countOf, hostOf, isMethod, sample, splitTarget, statusOf, textOf } from '../text.js';
import type { EventSink, IngestOptions, LineParser, LineRef, LogFormat } from '../types.js';

/**
 * Kong Gateway's log serializer (`kong.log.serialize`), which the http-log, file-log, tcp-log and kafka-log
 * plugins write: one JSON object a line, or an array of them (http-log with `queue.max_batch_size` > 1).
 *
 *   { "request": { "method", "uri", "url", "size", "headers": { "host", "user-agent", … } },
 *     "response": { "status", "size", "headers": { "content-type", … } },
 *     "latencies": { "request", "kong", "proxy" }, "client_ip", "started_at",
 *     "consumer": { "username", "custom_id", "id" }, "authenticated_entity": { "id", … },
 *     "service": { "name", "host" }, "route": { "name", "paths" } }
 *
 * The api is the Kong service's name (else the host); the principal the consumer (username, else custom
 * id, else id), else the authenticated credential's id; the client id the consumer's custom id when the
 * username is the principal. `latencies.request` is the whole request as Kong saw it, in ms.
 */
export const kong: LogFormat = {
  name: 'kong',
  summary: "Kong Gateway's log serializer JSON (file-log, http-log: one object a line, or a batch array)",
  lacks: ['route', 'responseSignature'],
  create: (options) => new KongParser(options),
};

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

class KongParser implements LineParser {
  constructor(private readonly options: IngestOptions) {}

  parse(line: string, ref: LineRef, out: EventSink): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return out.reject(`not JSON: ${(err as Error).message.slice(0, 120)}`);
    }
    if (Array.isArray(value)) {
      // A batch: each entry its own event (ids `<line id>.<index>`); a bad entry is named by its index.
      const problems: string[] = [];
      value.forEach((entry, i) => {
        const reason = this.one(entry, `${ref.id}.${i}`, out);
        if (reason !== undefined) problems.push(`entry ${i}: ${reason}`);
      });
      if (problems.length > 0) out.reject(`${problems.length} of ${value.length} batch entries rejected (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''})`);
      return;
    }
    const reason = this.one(value, ref.id, out);
    if (reason !== undefined) out.reject(reason);
  }

  /** One serialized request to `out`, or why it cannot be one. */
  private one(value: unknown, id: string, out: EventSink): string | undefined {
    const o = obj(value);
    if (!o) return `expected a JSON object (Kong's log entry), got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`;
    const request = obj(o.request);
    const response = obj(o.response);
    if (!request || !response) return 'no "request" and "response" objects: not a Kong log entry';
    const timestamp = typeof o.started_at === 'number' && Number.isFinite(o.started_at) && o.started_at >= 0 ? Math.round(o.started_at) : undefined;
    if (timestamp === undefined) return `"started_at" ${sample(String(o.started_at ?? 'missing'))} is not epoch milliseconds`;
    const method = request.method;
    if (typeof method !== 'string' || !isMethod(method)) return `"request.method" ${sample(String(method ?? 'missing'))} is not an HTTP method`;
    const target = textOf(request.uri, 65_536) ?? textOf(request.url, 65_536);
    if (target === undefined) return 'no "request.uri"';
    const status = statusOf(response.status);
    if (status === undefined) return `"response.status" ${sample(String(response.status ?? 'missing'))} is not an HTTP status (100-599)`;
    const { path } = splitTarget(target);
    const requestHeaders = obj(request.headers) ?? {};
    const responseHeaders = obj(response.headers) ?? {};
    const service = obj(o.service);
    const latencies = obj(o.latencies);
    const latency = typeof latencies?.request === 'number' && latencies.request >= 0 ? latencies.request : undefined;
    const host = typeof requestHeaders.host === 'string' ? hostOf(requestHeaders.host) : typeof request.url === 'string' ? splitTarget(request.url).host : undefined;
    const e: ApiTransaction = {
      id,
      timestamp,
      direction: this.options.direction,
      api: this.options.api ?? textOf(service?.name, LIMITS.api) ?? host ?? this.options.defaultApi,
      method: method.toUpperCase(),
      path,
      status,
      latencyMs: latency ?? 0,
    };
    const requestBytes = countOf(request.size);
    if (requestBytes !== undefined) e.requestBytes = requestBytes;
    const responseBytes = countOf(response.size);
    if (responseBytes !== undefined) e.responseBytes = responseBytes;
    const clientIp = textOf(o.client_ip, LIMITS.clientIp);
    if (clientIp !== undefined) e.clientIp = clientIp;
    const consumer = obj(o.consumer);
    const principal = textOf(consumer?.username, LIMITS.principal) ?? textOf(consumer?.custom_id, LIMITS.principal) ?? textOf(consumer?.id, LIMITS.principal) ?? textOf(obj(o.authenticated_entity)?.id, LIMITS.principal);
    if (principal !== undefined) e.principal = principal;
    const clientId = consumer?.username !== undefined ? textOf(consumer?.custom_id, LIMITS.clientId) : undefined;
    if (clientId !== undefined) e.clientId = clientId;
    const userAgent = headerText(requestHeaders['user-agent'], LIMITS.userAgent);
    if (userAgent !== undefined) e.userAgent = userAgent;
    const contentType = headerText(responseHeaders['content-type'], LIMITS.contentType);
    if (contentType !== undefined) e.contentType = contentType;
    const limit = countOf(headerText(responseHeaders['ratelimit-limit'] ?? responseHeaders['x-ratelimit-limit-minute'], 32));
    const remaining = countOf(headerText(responseHeaders['ratelimit-remaining'] ?? responseHeaders['x-ratelimit-remaining-minute'], 32));
    if (limit !== undefined && remaining !== undefined) {
      e.rateLimitLimit = limit;
      e.rateLimitRemaining = remaining;
    }
    out.event(e, latency !== undefined);
    return undefined;
  }
}

/** A header as Kong serializes it: a string, or an array for a repeated header (the first is taken). */
function headerText(v: unknown, max: number): string | undefined {
  return textOf(Array.isArray(v) ? v[0] : v, max);
}
