import type { ApiTransaction } from '@vigil/contracts';
import { FieldReader, LIMITS, bound, isMethod, parseClfTime, sample, splitTarget, unescapeLogText } from '../text.js';
import type { EventSink, IngestOptions, LineParser, LineRef, LogFormat } from '../types.js';

/**
 * Apache / NGINX access logs in the Combined Log Format (and the Common one, without referer and user
 * agent):
 *
 *   [%v:%p ]%h %l %u %t "%r" %>s %b ["%{Referer}i" "%{User-Agent}i"] [more fields]
 *   127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"
 *
 * A leading `%v:%p` (Apache's vhost_combined) names the api. After the user agent, the first bare number
 * is the request's duration: with a decimal point it is in seconds (NGINX `$request_time`), without one
 * in microseconds (Apache `%D`); quoted fields there (NGINX's `"$http_x_forwarded_for"`) are skipped.
 * `%u` (the authenticated user) is the principal. The time is `%t` as written: Apache writes when the
 * request arrived, NGINX when it ended.
 */
export const combined: LogFormat = {
  name: 'combined',
  summary: 'Apache/NGINX combined (or common) log format, with %D or $request_time after the user agent when present',
  lacks: ['contentType', 'clientId', 'route', 'responseSignature', 'rateLimitRemaining', 'requestBytes'],
  create: (options) => new CombinedParser(options),
};

class CombinedParser implements LineParser {
  private readonly reader = new FieldReader();
  private lastTimeText = '';
  private lastTime = 0;

  constructor(private readonly options: IngestOptions) {}

  parse(line: string, ref: LineRef, out: EventSink): void {
    const r = this.reader.reset(line);
    const open = line.indexOf(' [');
    if (open < 0) return out.reject('no [time] field: not a combined or common log line');
    // The fields before the time: %h %l %u, or %v:%p %h %l %u.
    const head = line.slice(0, open).split(' ');
    let vhost: string | undefined;
    if (head.length >= 4 && /^[^\s:]+:\d+$/.test(head[0]!)) vhost = head.shift()!.split(':')[0]!.toLowerCase();
    if (head.length < 3) return out.reject(`expected "host ident user" before the time, got ${sample(line.slice(0, open))}`);
    const clientIp = head[0]!;
    const user = head.slice(2).join(' ');
    r.at = open;
    const timeText = r.bracketed();
    if (timeText === undefined) return out.reject('the [time] field is not closed');
    let timestamp: number | undefined;
    if (timeText === this.lastTimeText) timestamp = this.lastTime;
    else {
      timestamp = parseClfTime(timeText);
      if (timestamp === undefined) return out.reject(`time ${sample(timeText)} is not dd/Mon/yyyy:HH:MM:SS +zzzz`);
      this.lastTimeText = timeText;
      this.lastTime = timestamp;
    }
    const request = r.quoted();
    if (request === undefined) return out.reject('no "request line" after the time');
    const statusText = r.token();
    const status = statusText && statusText.length === 3 ? Number(statusText) : NaN;
    if (!(status >= 100 && status <= 599)) return out.reject(`status ${sample(statusText ?? '')} is not an HTTP status (100-599)`);
    const bytesText = r.token();
    let responseBytes: number | undefined;
    if (bytesText === '-') responseBytes = 0;
    else if (bytesText !== undefined) {
      const b = Number(bytesText);
      if (!Number.isInteger(b) || b < 0) return out.reject(`response size ${sample(bytesText)} is not a number of bytes`);
      responseBytes = b;
    }
    let userAgent: string | undefined;
    let latencyMs: number | undefined;
    if (r.peek() === 34) {
      if (r.quoted() === undefined) return out.reject('the "referer" field is not closed');
      const ua = r.quoted();
      if (ua === undefined) return out.reject('no "user agent" after the referer');
      if (ua.length > 0 && ua !== '-') userAgent = bound(unescapeLogText(ua), LIMITS.userAgent);
      // The first bare number after the user agent is the duration.
      while (!r.done) {
        if (r.peek() === 34) {
          if (r.quoted() === undefined) break;
          continue;
        }
        const t = r.token();
        if (t === undefined) break;
        const v = t.length > 0 && t !== '-' ? Number(t) : NaN;
        if (Number.isFinite(v) && v >= 0) {
          latencyMs = t.indexOf('.') >= 0 ? v * 1000 : v / 1000;
          break;
        }
      }
    }

    if (request === '-' || request.length === 0) return out.reject('no request line ("-"): the client sent no request (a connection closed or timed out first)');
    const sp = request.indexOf(' ');
    const method = sp < 0 ? request : request.slice(0, sp);
    if (!isMethod(method)) return out.reject(`request line ${sample(request)} does not start with an HTTP method`);
    let target = sp < 0 ? '' : request.slice(sp + 1);
    const last = target.lastIndexOf(' ');
    if (last >= 0 && target.startsWith('HTTP/', last + 1)) target = target.slice(0, last);
    if (target.length === 0) return out.reject(`request line ${sample(request)} has no target`);
    const { path, host } = splitTarget(unescapeLogText(target));

    const e: ApiTransaction = {
      id: ref.id,
      timestamp,
      direction: this.options.direction,
      api: this.options.api ?? vhost ?? host ?? this.options.defaultApi,
      method: method.toUpperCase(),
      path,
      status,
      latencyMs: latencyMs ?? 0,
    };
    if (responseBytes !== undefined) e.responseBytes = responseBytes;
    if (clientIp !== '-' && clientIp.length > 0) e.clientIp = bound(clientIp, LIMITS.clientIp);
    if (user !== '-' && user.length > 0) e.principal = bound(unescapeLogText(user), LIMITS.principal);
    if (userAgent !== undefined) e.userAgent = userAgent;
    out.event(e, latencyMs !== undefined);
  }
}
