import { toWireJson, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { formatNames, type FormatName } from './types.js';

/**
 * ApiTransaction v1 written as each format's source would log it: for the simulator (`vigil simulate
 * --format combined`), the tests and the benchmarks. Each writer keeps what its source carries, so the
 * matching parser gives the event back with those fields (the round-trip tests hold them to it).
 */
export type WritableFormat = Exclude<FormatName, 'map'>;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `10/Oct/2000:13:55:36 +0000` (UTC). */
export function clfTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** A quoted field as Apache escapes it: `"` and `\` with a backslash, control characters as `\xHH`. */
function apacheQuote(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 32 || c === 127) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const host = (e: ApiTransaction) => `${e.api}.example.com`;

function combinedLine(e: ApiTransaction): string {
  return `${e.clientIp ?? '-'} - ${e.principal ? apacheQuote(e.principal).replace(/ /g, '_') : '-'} [${clfTime(e.timestamp)}] "${e.method} ${apacheQuote(e.path)} HTTP/1.1" ${e.status} ${e.responseBytes ?? '-'} "-" "${apacheQuote(e.userAgent ?? '-')}" ${seconds(e.latencyMs)}`;
}

function nginxJsonLine(e: ApiTransaction): string {
  return JSON.stringify({
    msec: ((e.timestamp + e.latencyMs) / 1000).toFixed(3),
    request_time: seconds(e.latencyMs),
    time: new Date(e.timestamp + e.latencyMs).toISOString().replace(/\.\d+Z$/, '+00:00'),
    remote_addr: e.clientIp ?? '',
    remote_user: e.principal ?? '',
    host: e.api,
    request_method: e.method,
    request_uri: e.path,
    status: e.status,
    request_length: e.requestBytes ?? 0,
    body_bytes_sent: e.responseBytes ?? 0,
    content_type: e.contentType ?? '',
    http_user_agent: e.userAgent ?? '',
    request_id: e.id,
  }).replace(/"(msec|request_time)":"([\d.]+)"/g, '"$1":$2');
}

function envoyLine(e: ApiTransaction): string {
  return JSON.stringify({
    start_time: new Date(e.timestamp).toISOString(),
    method: e.method,
    path: e.path,
    protocol: 'HTTP/1.1',
    response_code: e.status,
    response_flags: '-',
    bytes_received: e.requestBytes ?? 0,
    bytes_sent: e.responseBytes ?? 0,
    duration: Math.round(e.latencyMs),
    upstream_service_time: String(Math.max(0, Math.round(e.latencyMs) - 1)),
    x_forwarded_for: e.clientIp ?? null,
    user_agent: e.userAgent ?? null,
    request_id: e.id,
    authority: e.api,
    upstream_host: '10.0.0.12:8080',
    downstream_remote_address: e.clientIp ? (e.clientIp.includes(':') ? `[${e.clientIp}]:51234` : `${e.clientIp}:51234`) : null,
    principal: e.principal ?? null,
    content_type: e.contentType ?? null,
  });
}

function albLine(e: ApiTransaction): string {
  const created = new Date(e.timestamp).toISOString().replace('Z', '000Z');
  const end = new Date(e.timestamp + Math.round(e.latencyMs)).toISOString().replace('Z', '000Z');
  const t = (e.latencyMs / 1000).toFixed(6);
  return `https ${end} app/my-loadbalancer/50dc6c495c0c9188 ${e.clientIp ?? '-'}:51234 10.0.0.1:80 0.000 ${t} 0.000 ${e.status} ${e.status} ${e.requestBytes ?? 0} ${e.responseBytes ?? 0} "${e.method} https://${host(e)}:443${e.path} HTTP/1.1" "${(e.userAgent ?? '-').replace(/"/g, '\\"')}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "${host(e)}" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 0 ${created} "forward" "-" "-" "10.0.0.1:80" "${e.status}" "-" "-" TID_1234abcd5678ef90`;
}

function kongLine(e: ApiTransaction): string {
  return JSON.stringify({
    request: { method: e.method, uri: e.path, url: `https://${host(e)}:8443${e.path}`, size: e.requestBytes ?? 0, querystring: {}, headers: { host: host(e), 'user-agent': e.userAgent, accept: '*/*' } },
    upstream_uri: e.path,
    response: { status: e.status, size: e.responseBytes ?? 0, headers: { 'content-type': e.contentType, 'x-kong-upstream-latency': String(Math.max(0, Math.round(e.latencyMs) - 1)) } },
    tries: [{ ip: '10.0.0.12', port: 8080, balancer_latency: 0 }],
    latencies: { request: e.latencyMs, kong: 1, proxy: Math.max(0, e.latencyMs - 1) },
    service: { name: e.api, host: `${e.api}.internal`, port: 8080, protocol: 'http' },
    route: { name: `${e.api}-route`, paths: ['/'] },
    consumer: e.principal ? { username: e.principal, id: '00000000-0000-4000-8000-000000000001' } : undefined,
    client_ip: e.clientIp,
    started_at: e.timestamp,
  });
}

const writers: Record<WritableFormat, (e: ApiTransaction) => string> = {
  vigil: (e) => JSON.stringify(toWireJson(transactionContract, e)),
  combined: combinedLine,
  'nginx-json': nginxJsonLine,
  envoy: envoyLine,
  alb: albLine,
  kong: kongLine,
};

/** A writer of one format's lines (no newline). */
export function lineWriter(format: string): (e: ApiTransaction) => string {
  const w = (writers as Record<string, ((e: ApiTransaction) => string) | undefined>)[format];
  if (!w) throw new VigilError('VIGIL_ARGUMENT', `unknown --format ${JSON.stringify(format)}: one of ${formatNames.join(', ')}`);
  return w;
}
