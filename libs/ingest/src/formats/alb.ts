import type { ApiTransaction } from '@vigil/contracts';
import { FieldReader, LIMITS, addressOf, bound, hostOf, isMethod, parseIsoTime, sample, splitTarget, unescapeLogText } from '../text.js';
import type { EventSink, IngestOptions, LineParser, LineRef, LogFormat } from '../types.js';

/**
 * AWS Application Load Balancer access logs (the files ALB writes to S3, `.log.gz`), one entry a line:
 *
 *   type time elb client:port target:port request_processing_time target_processing_time
 *   response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request"
 *   "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name" "chosen_cert_arn"
 *   matched_rule_priority request_creation_time "actions_executed" … (fields AWS adds later are ignored)
 *
 * The start is `request_creation_time`; the duration the sum of the three processing times, or `time`
 * minus the start when one of them is -1 (the target did not answer); the status is the load balancer's
 * (`elb_status_code`); the api is the request's host (or `domain_name`, the TLS SNI). ALB knows no
 * principal. Lines of `type` other than HTTP ones (a TLS listener's, say) do not come here.
 */
export const alb: LogFormat = {
  name: 'alb',
  summary: 'AWS Application Load Balancer access logs (as written to S3, .log.gz accepted)',
  lacks: ['principal', 'clientId', 'contentType', 'route', 'responseSignature', 'rateLimitRemaining'],
  create: (options) => new AlbParser(options),
};

const TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);

class AlbParser implements LineParser {
  private readonly r = new FieldReader();

  constructor(private readonly options: IngestOptions) {}

  parse(line: string, ref: LineRef, out: EventSink): void {
    const r = this.r.reset(line);
    const type = r.token();
    if (type === undefined || !TYPES.has(type)) return out.reject(`type ${sample(type ?? '')} is not an ALB HTTP entry (http, https, h2, grpcs, ws, wss)`);
    const endTime = parseIsoTime(r.token() ?? '');
    if (endTime === undefined) return out.reject('the time field is not an ISO 8601 time');
    r.token(); // elb
    const client = r.token() ?? '-';
    r.token(); // target:port
    const times = [Number(r.token()), Number(r.token()), Number(r.token())];
    const elbStatus = r.token() ?? '-';
    r.token(); // target_status_code
    const received = Number(r.token());
    const sent = Number(r.token());
    const request = r.quoted();
    if (request === undefined) return out.reject('no "request" field (the 13th)');
    const ua = r.quoted();
    if (ua === undefined) return out.reject('no "user_agent" field (the 14th)');
    r.token(); // ssl_cipher
    r.token(); // ssl_protocol
    r.token(); // target_group_arn
    r.quoted(); // trace_id
    const domain = r.quoted();
    r.quoted(); // chosen_cert_arn
    r.token(); // matched_rule_priority
    const created = parseIsoTime(r.token() ?? '');

    const status = elbStatus.length === 3 ? Number(elbStatus) : NaN;
    if (!(status >= 100 && status <= 599)) return out.reject(`elb_status_code ${sample(elbStatus)} is not an HTTP status (100-599)`);
    // "GET http://www.example.com:80/path?q HTTP/1.1"; a request ALB could not read is "- - - ".
    const sp = request.indexOf(' ');
    const method = sp < 0 ? request : request.slice(0, sp);
    if (!isMethod(method)) return out.reject(`request ${sample(request)} does not start with an HTTP method (ALB could not parse the request)`);
    let target = sp < 0 ? '' : request.slice(sp + 1);
    const last = target.lastIndexOf(' ');
    if (last >= 0) target = target.slice(0, last);
    if (target.length === 0 || target === '-') return out.reject(`request ${sample(request)} has no URL`);
    const { path, host } = splitTarget(target);

    const timestamp = created ?? endTime;
    const known = times.every((t) => Number.isFinite(t) && t >= 0);
    let latencyMs: number | undefined;
    if (known) latencyMs = Math.round((times[0]! + times[1]! + times[2]!) * 1_000_000) / 1000;
    else if (created !== undefined && endTime >= created) latencyMs = endTime - created;

    const e: ApiTransaction = {
      id: ref.id,
      timestamp,
      direction: this.options.direction,
      api: this.options.api ?? host ?? (domain !== undefined ? hostOf(domain) : undefined) ?? this.options.defaultApi,
      method: method.toUpperCase(),
      path,
      status,
      latencyMs: latencyMs ?? 0,
    };
    if (Number.isInteger(received) && received >= 0) e.requestBytes = received;
    if (Number.isInteger(sent) && sent >= 0) e.responseBytes = sent;
    const clientIp = addressOf(client, true);
    if (clientIp !== undefined) e.clientIp = clientIp;
    if (ua.length > 0 && ua !== '-') e.userAgent = bound(unescapeLogText(ua), LIMITS.userAgent);
    out.event(e, latencyMs !== undefined);
  }
}
