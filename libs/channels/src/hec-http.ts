import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HecTls {
  /** PEM of the CA(s) that sign the collector's certificate; default Node's bundled roots. */
  ca?: string;
  rejectUnauthorized: boolean;
}

export interface HecReply {
  status: number;
  text: string;
}

/** A keep-alive POST client for one collector (Node's http/https, so a private CA can be given). */
export function hecClient(base: URL, tls: HecTls | undefined, timeoutMs: number) {
  const https = base.protocol === 'https:';
  // Idle sockets close after a minute, so a channel dropped by a config reload leaves no connection behind.
  const agent = https ? new HttpsAgent({ keepAlive: true, timeout: 60_000, ca: tls?.ca, rejectUnauthorized: tls?.rejectUnauthorized ?? true }) : new HttpAgent({ keepAlive: true, timeout: 60_000 });
  const request = https ? httpsRequest : httpRequest;
  return {
    /** POSTs `body` to `path` under the base URL; rejects on network errors and timeouts. The answer is read up to 64 KiB. */
    post(path: string, body: string, headers: Record<string, string>): Promise<HecReply> {
      const url = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
      return new Promise<HecReply>((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'user-agent': 'vigil-notifier', 'content-length': Buffer.byteLength(body), ...headers }, timeout: timeoutMs }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text = text.length < 65_536 ? text + chunk : text));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

export type HecClient = ReturnType<typeof hecClient>;
