import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ApiTransaction } from '@vigil/contracts';
import { Ingest } from '../ingest.js';
import { inputLines } from '../read.js';

/**
 * Lines written by the real servers with the configurations of docs/ingest.md (NGINX 1.22.1 and Apache
 * 2.4.71 from Debian 12, on loopback, requests made with curl), kept byte for byte: raw bytes that are not
 * UTF-8 included (NGINX's escape=json writes them as they came).
 */
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function read(name: string, format: string, api?: string) {
  const ingest = new Ingest({ format, api });
  const events: ApiTransaction[] = [];
  for await (const { line, ref } of inputLines([fixture(name)])) events.push(...ingest.line(line, ref));
  return { events, tally: ingest.tally };
}

describe('logs written by the real servers', () => {
  it('NGINX 1.22 combined with $request_time', async () => {
    const { events, tally } = await read('nginx-1.22-combined.txt', 'combined', 'shop');
    expect(tally).toMatchObject({ lines: 9, events: 7, rejected: 2 });
    expect(tally.rejections.map((r) => r.line)).toEqual([8, 9]);
    expect(tally.rejections[0]!.reason).toMatch(/does not start with an HTTP method/);
    expect(tally.rejections[1]!.reason).toMatch(/request line "GARBAGE" has no target/);
    expect(events[0]).toMatchObject({ id: expect.stringMatching(/nginx-1\.22-combined\.txt:1$/), api: 'shop', method: 'GET', path: '/users/1042/account', status: 200, clientIp: '127.0.0.1', latencyMs: 0, timestamp: Date.UTC(2026, 11, 5, 18, 15, 28) });
    // NGINX escapes a backslash as \x5C and a quote as \x22.
    expect(events[1]!.userAgent).toBe('Mozilla/5.0 "quoted" caf\\xc3\\xa9');
    expect(events[2]!.userAgent).toBe('café \uFFFD\uFFFD bytes');
    expect(events[3]).toMatchObject({ clientIp: '::1', method: 'DELETE', status: 405 });
    expect(events.filter((e) => e.principal).map((e) => [e.principal, e.status])).toEqual([['alice', 200], ['mallory', 401]]);
    expect(tally.present.latencyMs).toBe(7);
  });

  it("NGINX 1.22 with vigil's JSON log_format: raw non-UTF-8 bytes, the host as api, empty fields as none", async () => {
    const { events, tally } = await read('nginx-1.22-vigil-json.txt', 'nginx-json');
    expect(tally).toMatchObject({ lines: 9, events: 7, rejected: 2 });
    expect(tally.rejections[0]!.reason).toMatch(/"request_method" "" is not an HTTP method/);
    expect(events[0]).toMatchObject({ api: '127.0.0.1', path: '/users/1042/account', status: 200, requestBytes: 110, responseBytes: 3, contentType: 'text/html', latencyMs: 0, timestamp: 1796494528323 });
    expect(events[0]!.principal).toBeUndefined();
    expect(events[1]!.userAgent).toBe('Mozilla/5.0 "quoted" caf\\xc3\\xa9');
    expect(events[2]!.userAgent).toBe('café \uFFFD\uFFFD bytes');
    expect(events[3]).toMatchObject({ api: 'shop.example.com', clientIp: '::1', method: 'DELETE' });
    expect(events.filter((e) => e.principal).map((e) => e.principal)).toEqual(['alice', 'mallory']);
  });

  it('Apache 2.4 combined with %D, and vhost_combined', async () => {
    const { events, tally } = await read('apache-2.4-combined-D.txt', 'combined');
    expect(tally).toMatchObject({ lines: 6, events: 5, rejected: 1 });
    expect(events[0]).toMatchObject({ api: 'default', path: '/index.html', latencyMs: 0.19 });
    expect(events[1]!.userAgent).toBe('Mozilla/5.0 "quoted" back\\slash');
    expect(events[2]!.userAgent).toBe('café \uFFFD bytes');
    expect(events[3]).toMatchObject({ principal: 'frank', path: '/private/orders/5', latencyMs: 0.266 });
    const vhost = await read('apache-2.4-vhost-combined-D.txt', 'combined');
    expect(vhost.events.map((e) => e.api)).toEqual(['localhost', 'localhost', 'localhost', 'localhost', 'localhost']);
    expect(vhost.events.map(({ id: _, api: __, ...rest }) => rest)).toEqual(events.map(({ id: _, api: __, ...rest }) => rest));
  });
});
