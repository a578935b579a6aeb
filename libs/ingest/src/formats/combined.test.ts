import { describe, expect, it } from 'vitest';
import { toWireJson, transactionContract, validate } from '@vigil/contracts';
import { parseLines } from '../ingest.js';

const parse = (lines: string[], api?: string) => parseLines(lines, { format: 'combined', api });
const one = (line: string, api?: string) => {
  const { events, tally } = parse([line], api);
  expect(tally.rejections).toEqual([]);
  expect(events).toHaveLength(1);
  // Whatever a parser makes passes the contract as the detector checks it.
  expect(validate(transactionContract, toWireJson(transactionContract, events[0]!))).toEqual(events[0]);
  return events[0]!;
};
const reason = (line: string) => {
  const { events, tally } = parse([line]);
  expect(events).toEqual([]);
  expect(tally.rejected).toBe(1);
  return tally.rejections[0]!.reason;
};

describe('combined: Apache and NGINX access logs', () => {
  it("reads Apache's documented combined line (the time with its offset, %u as principal, no duration)", () => {
    const e = one('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"');
    expect(e).toEqual({
      id: 'test:1',
      timestamp: Date.UTC(2000, 9, 10, 20, 55, 36),
      direction: 'inbound',
      api: 'default',
      method: 'GET',
      path: '/apache_pb.gif',
      status: 200,
      latencyMs: 0,
      responseBytes: 2326,
      clientIp: '127.0.0.1',
      principal: 'frank',
      userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
    });
    expect(parse(['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "-" "curl"']).tally.present.latencyMs).toBe(0);
  });

  it("reads Apache's common log format (no referer, no user agent)", () => {
    const e = one('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326', 'shop');
    expect(e).toMatchObject({ api: 'shop', path: '/apache_pb.gif', status: 200, responseBytes: 2326, principal: 'frank' });
    expect(e.userAgent).toBeUndefined();
  });

  it('NGINX combined with $request_time: seconds to ms, no principal for "-", the query string dropped', () => {
    const { events, tally } = parse(['203.0.113.7 - - [23/Nov/2026:17:20:01 +0000] "GET /users/1042/account?token=s3cr3t HTTP/1.1" 200 512 "-" "curl/8.5.0" 0.018']);
    expect(events[0]).toMatchObject({ timestamp: Date.UTC(2026, 10, 23, 17, 20, 1), path: '/users/1042/account', latencyMs: 18, clientIp: '203.0.113.7', userAgent: 'curl/8.5.0' });
    expect(events[0]!.principal).toBeUndefined();
    expect(JSON.stringify(events[0])).not.toContain('s3cr3t');
    expect(tally.present.latencyMs).toBe(1);
  });

  it("Apache's %D after the user agent is in microseconds", () => {
    expect(one('192.0.2.10 - - [23/Nov/2026:17:20:01 +0100] "POST /orders HTTP/1.1" 201 45 "-" "okhttp/4.12.0" 18432').latencyMs).toBeCloseTo(18.432);
  });

  it("NGINX's default main format: the quoted X-Forwarded-For after the user agent is skipped (no duration there)", () => {
    const { events, tally } = parse(['10.1.2.3 - - [23/Nov/2026:17:20:01 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.30" "198.51.100.23, 10.0.0.1"']);
    expect(events[0]).toMatchObject({ clientIp: '10.1.2.3', userAgent: 'kube-probe/1.30', latencyMs: 0 });
    expect(tally.present.latencyMs).toBe(0);
    expect(one('10.1.2.3 - - [23/Nov/2026:17:20:01 +0000] "GET /x HTTP/1.1" 200 2 "-" "ua" "198.51.100.23" 0.250').latencyMs).toBe(250);
  });

  it('IPv6 clients, HTTP/2, a body size of "-" (no bytes)', () => {
    const e = one('2001:db8:85a3::8a2e:370:7334 - alice [23/Nov/2026:17:20:01 +0000] "DELETE /api/v1/orders/77 HTTP/2.0" 204 - "-" "Mozilla/5.0 (X11; Linux x86_64)" 0.004');
    expect(e).toMatchObject({ clientIp: '2001:db8:85a3::8a2e:370:7334', method: 'DELETE', status: 204, responseBytes: 0, principal: 'alice', latencyMs: 4 });
  });

  it("Apache's vhost_combined (%v:%p first) names the api; an absolute URI names it when nothing else does", () => {
    expect(one('shop.example.com:443 203.0.113.7 - - [23/Nov/2026:17:20:01 +0000] "GET /cart HTTP/1.1" 200 10 "-" "ua"').api).toBe('shop.example.com');
    expect(one('203.0.113.7 - - [23/Nov/2026:17:20:01 +0000] "GET http://Proxy.Example.org:8080/x/y?z=1 HTTP/1.1" 200 10 "-" "ua"')).toMatchObject({ api: 'proxy.example.org', path: '/x/y' });
    expect(one('shop.example.com:443 203.0.113.7 - - [23/Nov/2026:17:20:01 +0000] "GET /cart HTTP/1.1" 200 10 "-" "ua"', 'shop').api).toBe('shop');
  });

  it('quotes and escapes in user agents: Apache\'s \\" and \\\\, NGINX\'s \\x22, escaped UTF-8 bytes', () => {
    expect(one('198.51.100.4 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 \\"quoted\\" back\\\\slash"').userAgent).toBe('Mozilla/5.0 "quoted" back\\slash');
    expect(one('198.51.100.4 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 200 1 "-" "sqlmap/1.7 \\x22or 1=1--"').userAgent).toBe('sqlmap/1.7 "or 1=1--');
    expect(one('198.51.100.4 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 200 1 "-" "caf\\xC3\\xA9/1.0"').userAgent).toBe('café/1.0');
    // Escaped bytes that are not UTF-8 become U+FFFD; so do raw ones (the reader decodes each line with replacement).
    expect(one('198.51.100.4 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 200 1 "-" "bad\\xFF\\xFEbytes"').userAgent).toBe('bad\uFFFD\uFFFDbytes');
    expect(one('198.51.100.4 - - [23/Nov/2026:17:20:01 +0000] "GET /caf\uFFFD HTTP/1.1" 200 1 "-" "raw\uFFFD"')).toMatchObject({ path: '/caf\uFFFD', userAgent: 'raw\uFFFD' });
  });

  it('bounds what it keeps: a 10,000-character user agent is cut to the contract\'s 2,048', () => {
    expect(one(`198.51.100.4 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 200 1 "-" "${'A'.repeat(10_000)}"`).userAgent).toHaveLength(2048);
  });

  it('rejects, with a reason, what is not a request: "-", TLS bytes on a plain port, garbage', () => {
    expect(reason('203.0.113.9 - - [23/Nov/2026:17:20:01 +0000] "-" 400 0 "-" "-"')).toMatch(/^no request line \("-"\)/);
    expect(reason('203.0.113.9 - - [23/Nov/2026:17:20:01 +0000] "\\x16\\x03\\x01\\x00\\xCA\\x01" 400 157 "-" "-"')).toMatch(/does not start with an HTTP method/);
    expect(reason('203.0.113.9 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 2000 1 "-" "-"')).toMatch(/^status "2000" is not an HTTP status/);
    expect(reason('203.0.113.9 - - [2026-11-23 17:20:01] "GET / HTTP/1.1" 200 1')).toMatch(/^time "2026-11-23 17:20:01" is not dd\/Mon\/yyyy/);
    expect(reason('just some text')).toMatch(/no \[time\] field/);
    expect(reason('203.0.113.9 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1 200 1')).toMatch(/no "request line"/);
  });

  it('counts every line, names the first 20 rejected by number, and goes on', () => {
    const good = '203.0.113.7 - - [23/Nov/2026:17:20:01 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" 0.001';
    const lines = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? good : `junk ${i}`));
    const { events, tally } = parse(lines);
    expect(events).toHaveLength(30);
    expect(tally).toMatchObject({ lines: 60, events: 30, rejected: 30 });
    expect(tally.rejections).toHaveLength(20);
    expect(tally.rejections[0]).toEqual({ line: 2, reason: expect.stringMatching(/no \[time\] field/) });
    expect(tally.rejections[19]!.line).toBe(40);
  });
});
