import type { ApiTransaction } from '@vigil/contracts';
import { LIMITS, countOf, isMethod, numberOf, parseIsoTime, parseJsonObject, sample, splitTarget, statusOf, textOf } from '../text.js';
import type { EventSink, IngestOptions, LineParser, LineRef, LogFormat } from '../types.js';

/**
 * NGINX with vigil's documented `log_format` (docs/ingest.md), one JSON object a line:
 *
 *   log_format vigil_json escape=json '{"msec":$msec,"request_time":$request_time,"time":"$time_iso8601",'
 *     '"remote_addr":"$remote_addr","remote_user":"$remote_user","host":"$host","request_method":"$request_method",'
 *     '"request_uri":"$request_uri","status":$status,"request_length":$request_length,"body_bytes_sent":$body_bytes_sent,'
 *     '"content_type":"$sent_http_content_type","http_user_agent":"$http_user_agent","request_id":"$request_id"}';
 *
 * NGINX logs when a request ends: the start is `msec - request_time` (`time`, to the second, when `msec` is
 * missing). The principal is `principal` when the format has one (a variable you set from a verified
 * token), else `remote_user` (basic auth).
 */
export const nginxJson: LogFormat = {
  name: 'nginx-json',
  summary: "NGINX with vigil's JSON log_format (docs/ingest.md)",
  lacks: ['clientId', 'route', 'responseSignature', 'rateLimitRemaining'],
  create: (options) => new NginxJsonParser(options),
};

class NginxJsonParser implements LineParser {
  constructor(private readonly options: IngestOptions) {}

  parse(line: string, ref: LineRef, out: EventSink): void {
    const o = parseJsonObject(line);
    if (typeof o === 'string') return out.reject(o);
    const requestTime = numberOf(o.request_time);
    const latencyMs = requestTime !== undefined && requestTime >= 0 ? requestTime * 1000 : undefined;
    let timestamp: number | undefined;
    const msec = numberOf(o.msec);
    if (msec !== undefined && msec > 0) timestamp = Math.round(msec * 1000 - (latencyMs ?? 0));
    else if (typeof o.time === 'string') timestamp = parseIsoTime(o.time);
    if (timestamp === undefined || timestamp < 0) return out.reject(`no time: expected "msec" (epoch seconds) or "time" (ISO 8601), got ${sample(String(o.msec ?? o.time ?? 'none'))}`);
    const method = o.request_method;
    if (typeof method !== 'string' || !isMethod(method)) return out.reject(`"request_method" ${sample(String(method ?? 'missing'))} is not an HTTP method`);
    const target = textOf(o.request_uri ?? o.uri, 65_536);
    if (target === undefined) return out.reject('no "request_uri"');
    const status = statusOf(o.status);
    if (status === undefined) return out.reject(`"status" ${sample(String(o.status ?? 'missing'))} is not an HTTP status (100-599)`);
    const { path, host } = splitTarget(target);
    const e: ApiTransaction = {
      id: ref.id,
      timestamp,
      direction: this.options.direction,
      api: this.options.api ?? textOf(o.host, LIMITS.api)?.toLowerCase() ?? host ?? this.options.defaultApi,
      method: method.toUpperCase(),
      path,
      status,
      latencyMs: latencyMs ?? 0,
    };
    const responseBytes = countOf(o.body_bytes_sent ?? o.bytes_sent);
    if (responseBytes !== undefined) e.responseBytes = responseBytes;
    const requestBytes = countOf(o.request_length);
    if (requestBytes !== undefined) e.requestBytes = requestBytes;
    const clientIp = textOf(o.remote_addr, LIMITS.clientIp);
    if (clientIp !== undefined) e.clientIp = clientIp;
    const principal = textOf(o.principal, LIMITS.principal) ?? textOf(o.remote_user, LIMITS.principal);
    if (principal !== undefined) e.principal = principal;
    const clientId = textOf(o.client_id, LIMITS.clientId);
    if (clientId !== undefined) e.clientId = clientId;
    const userAgent = textOf(o.http_user_agent, LIMITS.userAgent);
    if (userAgent !== undefined) e.userAgent = userAgent;
    const contentType = textOf(o.content_type ?? o.sent_http_content_type, LIMITS.contentType);
    if (contentType !== undefined) e.contentType = contentType;
    out.event(e, latencyMs !== undefined);
  }
}
