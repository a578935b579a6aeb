import type { ApiTransaction } from '@vigil/contracts';
import { LIMITS, addressOf, countOf, firstForwarded, hostOf, isMethod, numberOf, parseIsoTime, parseJsonObject, sample, splitTarget, statusOf, textOf } from '../text.js';
import type { EventSink, IngestOptions, LineParser, LineRef, LogFormat } from '../types.js';

/**
 * Envoy's JSON access log (`json_format`), with keys named after the command operators of Envoy's default
 * format, as Istio's JSON access log names them (docs/ingest.md has the config):
 *
 *   start_time %START_TIME%   method %REQ(:METHOD)%   path %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%   protocol %PROTOCOL%
 *   response_code %RESPONSE_CODE%   response_flags %RESPONSE_FLAGS%   bytes_received %BYTES_RECEIVED%
 *   bytes_sent %BYTES_SENT%   duration %DURATION%   upstream_service_time %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
 *   x_forwarded_for %REQ(X-FORWARDED-FOR)%   user_agent %REQ(USER-AGENT)%   request_id %REQ(X-REQUEST-ID)%
 *   authority %REQ(:AUTHORITY)%   upstream_host %UPSTREAM_HOST%   downstream_remote_address %DOWNSTREAM_REMOTE_ADDRESS%
 *
 * and, optional, `principal` (say `%DYNAMIC_METADATA(envoy.filters.http.jwt_authn:jwt_payload:sub)%`),
 * `client_id` and `content_type` (`%RESP(CONTENT-TYPE)%`). Envoy writes an unset value as `null` or `-`,
 * and numbers as numbers or strings: all are read.
 */
export const envoy: LogFormat = {
  name: 'envoy',
  summary: "Envoy's JSON access log (json_format) with the standard command operators, Istio's key names",
  lacks: ['route', 'responseSignature', 'rateLimitRemaining'],
  create: (options) => new EnvoyParser(options),
};

class EnvoyParser implements LineParser {
  constructor(private readonly options: IngestOptions) {}

  parse(line: string, ref: LineRef, out: EventSink): void {
    const o = parseJsonObject(line);
    if (typeof o === 'string') return out.reject(o);
    const timestamp = typeof o.start_time === 'string' ? parseIsoTime(o.start_time) : typeof o.start_time === 'number' ? o.start_time : undefined;
    if (timestamp === undefined) return out.reject(`"start_time" ${sample(String(o.start_time ?? 'missing'))} is not an ISO 8601 time (%START_TIME%)`);
    const method = o.method;
    if (typeof method !== 'string' || !isMethod(method)) return out.reject(`"method" ${sample(String(method ?? 'missing'))} is not an HTTP method (%REQ(:METHOD)%)`);
    const target = textOf(o.path, 65_536);
    if (target === undefined) return out.reject('no "path" (%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%)');
    // %RESPONSE_CODE% is 0 when the downstream went away before a response: no HTTP status to record.
    const status = statusOf(o.response_code);
    if (status === undefined) return out.reject(`"response_code" ${sample(String(o.response_code ?? 'missing'))} is not an HTTP status (100-599; 0 means no response was sent)`);
    const { path, host } = splitTarget(target);
    const duration = numberOf(o.duration);
    const latencyKnown = duration !== undefined && duration >= 0;
    const authority = typeof o.authority === 'string' ? hostOf(o.authority) : undefined;
    const e: ApiTransaction = {
      id: ref.id,
      timestamp,
      direction: this.options.direction,
      api: this.options.api ?? authority ?? host ?? this.options.defaultApi,
      method: method.toUpperCase(),
      path,
      status,
      latencyMs: latencyKnown ? duration : 0,
    };
    const requestBytes = countOf(o.bytes_received);
    if (requestBytes !== undefined) e.requestBytes = requestBytes;
    const responseBytes = countOf(o.bytes_sent);
    if (responseBytes !== undefined) e.responseBytes = responseBytes;
    const clientIp = (typeof o.downstream_remote_address === 'string' ? addressOf(o.downstream_remote_address) : undefined) ?? (typeof o.x_forwarded_for === 'string' ? firstForwarded(o.x_forwarded_for) : undefined);
    if (clientIp !== undefined) e.clientIp = clientIp;
    const principal = textOf(o.principal, LIMITS.principal);
    if (principal !== undefined) e.principal = principal;
    const clientId = textOf(o.client_id, LIMITS.clientId);
    if (clientId !== undefined) e.clientId = clientId;
    const userAgent = textOf(o.user_agent, LIMITS.userAgent);
    if (userAgent !== undefined) e.userAgent = userAgent;
    const contentType = textOf(o.content_type, LIMITS.contentType);
    if (contentType !== undefined) e.contentType = contentType;
    out.event(e, latencyKnown);
  }
}
