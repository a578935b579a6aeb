import { describe, expect, it } from 'vitest';
import { toWireJson, transactionContract, validate, type ApiTransaction } from '@vigil/contracts';
import { parseLines } from '../ingest.js';

function ok(format: string, lines: string[], api?: string): ApiTransaction[] {
  const { events, tally } = parseLines(lines, { format, api });
  expect(tally.rejections).toEqual([]);
  for (const e of events) expect(validate(transactionContract, toWireJson(transactionContract, e))).toEqual(e);
  return events;
}
function rejected(format: string, line: string): string {
  const { events, tally } = parseLines([line], { format });
  expect(events).toEqual([]);
  return tally.rejections[0]!.reason;
}

describe('envoy: the JSON access log with the standard command operators (Istio key names)', () => {
  // As Istio's documentation shows its JSON access log (meshConfig.accessLogEncoding: JSON).
  const istio = '{"upstream_host":"10.44.1.27:80","downstream_remote_address":"10.44.1.24:36614","bytes_sent":135,"start_time":"2021-07-11T02:14:55.473Z","upstream_transport_failure_reason":null,"user_agent":"curl/7.77.0-DEV","response_code":418,"authority":"httpbin:8000","duration":5,"method":"GET","x_forwarded_for":null,"requested_server_name":null,"bytes_received":0,"protocol":"HTTP/1.1","upstream_cluster":"outbound|8000||httpbin.foo.svc.cluster.local","response_flags":"-","path":"/status/418","upstream_local_address":"10.44.1.24:46248","request_id":"3e5f6b5c-5a4f-9d9b-a3b4-ed0e93ba8d9d","route_name":"default","downstream_local_address":"10.0.0.227:8000","connection_termination_details":null,"upstream_service_time":"4","response_code_details":"via_upstream"}';

  it("reads Istio's documented line: start time, duration in ms, the authority as api, the downstream address as client", () => {
    expect(ok('envoy', [istio])[0]).toEqual({
      id: 'test:1',
      timestamp: Date.UTC(2021, 6, 11, 2, 14, 55, 473),
      direction: 'inbound',
      api: 'httpbin',
      method: 'GET',
      path: '/status/418',
      status: 418,
      latencyMs: 5,
      requestBytes: 0,
      responseBytes: 135,
      clientIp: '10.44.1.24',
      userAgent: 'curl/7.77.0-DEV',
    });
  });

  it('numbers as strings, "-" for unset values, IPv6 downstream, X-Forwarded-For when there is no downstream address, a principal from JWT metadata', () => {
    const line = JSON.stringify({ start_time: '2026-11-23T17:20:01.250Z', method: 'POST', path: '/v1/payments?id=9', protocol: 'HTTP/2', response_code: '201', response_flags: '-', bytes_received: '77', bytes_sent: '-', duration: '12', x_forwarded_for: '-', user_agent: '-', authority: 'payments.internal:8443', downstream_remote_address: '[2001:db8::7]:55123', principal: 'acct-42', content_type: 'application/json' });
    expect(ok('envoy', [line])[0]).toEqual({ id: 'test:1', timestamp: Date.UTC(2026, 10, 23, 17, 20, 1, 250), direction: 'inbound', api: 'payments.internal', method: 'POST', path: '/v1/payments', status: 201, latencyMs: 12, requestBytes: 77, clientIp: '2001:db8::7', principal: 'acct-42', contentType: 'application/json' });
    const xff = JSON.stringify({ start_time: '2026-11-23T17:20:01.250Z', method: 'GET', path: '/', response_code: 200, duration: null, x_forwarded_for: '203.0.113.9, 10.0.0.2', downstream_remote_address: null });
    const { events, tally } = parseLines([xff], { format: 'envoy', api: 'edge' });
    expect(events[0]).toMatchObject({ clientIp: '203.0.113.9', api: 'edge', latencyMs: 0 });
    expect(tally.present.latencyMs).toBe(0);
    // A bare IPv6 address (%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%) keeps all of itself.
    expect(ok('envoy', [JSON.stringify({ start_time: '2026-11-23T17:20:01Z', method: 'GET', path: '/', response_code: 200, downstream_remote_address: '2001:db8::7' })])[0]!.clientIp).toBe('2001:db8::7');
  });

  it('rejects a downstream that left before a response (code 0) and lines that are not its JSON', () => {
    expect(rejected('envoy', istio.replace('"response_code":418', '"response_code":0'))).toMatch(/"response_code" "0" is not an HTTP status \(100-599; 0 means no response was sent\)/);
    expect(rejected('envoy', '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http"')).toMatch(/^not JSON/);
    expect(rejected('envoy', istio.replace('"start_time":"2021-07-11T02:14:55.473Z"', '"start_time":"yesterday"'))).toMatch(/"start_time" "yesterday" is not an ISO 8601 time/);
  });
});

describe('alb: AWS Application Load Balancer access logs', () => {
  // The HTTP and HTTPS entries of AWS's documentation (Access log entries, Examples).
  const http = 'http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90';
  const https = 'https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90';

  it("reads AWS's documented entries: request_creation_time as the start, the three processing times summed, the URL's host as api", () => {
    const [a, b] = ok('alb', [http, https]);
    expect(a).toEqual({ id: 'test:1', timestamp: Date.UTC(2018, 6, 2, 22, 22, 48, 364), direction: 'inbound', api: 'www.example.com', method: 'GET', path: '/', status: 200, latencyMs: 1, requestBytes: 34, responseBytes: 366, clientIp: '192.168.131.39', userAgent: 'curl/7.46.0' });
    expect(b).toMatchObject({ latencyMs: 171, requestBytes: 0, responseBytes: 57 });
  });

  it('a target that did not answer (-1): the duration is time minus request_creation_time; the ELB status is the status; IPv6 clients; query strings dropped', () => {
    const line = 'https 2026-11-23T17:20:31.500000Z app/shop/50dc6c495c0c9188 2001:db8:85a3::8a2e:370:7334:51234 - -1 -1 -1 504 - 120 0 "POST https://api.shop.example:443/v1/orders?coupon=FREE HTTP/1.1" "okhttp/4.12.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 - "Root=1-1" "api.shop.example" "-" 2 2026-11-23T17:20:01.500000Z "forward" "-" "-" "-" "-" "-" "-" TID_x';
    expect(ok('alb', [line])[0]).toMatchObject({ status: 504, latencyMs: 30_000, clientIp: '2001:db8:85a3::8a2e:370:7334', api: 'api.shop.example', path: '/v1/orders' });
  });

  it('rejects a request ALB could not read ("- - - "), other entry types, and lines cut short', () => {
    expect(rejected('alb', http.replace('"GET http://www.example.com:80/ HTTP/1.1"', '"- - - "').replace(' 200 200 ', ' 400 - '))).toMatch(/does not start with an HTTP method/);
    expect(rejected('alb', http.replace(/^http /, 'tls '))).toMatch(/type "tls" is not an ALB HTTP entry/);
    expect(rejected('alb', http.slice(0, 120))).toMatch(/no "request" field/);
  });
});

describe("kong: Kong's log serializer (file-log, http-log)", () => {
  // As Kong's plugin documentation shows a log object (trimmed of route and service details).
  const entry = {
    response: { size: 9982, headers: { 'content-type': 'text/html; charset=utf-8', 'x-kong-request-id': '2f6946328ffc4946b8c9120704a4a155', 'x-kong-upstream-latency': '171' }, status: 200 },
    route: { name: 'example-route', paths: ['/example'], protocols: ['http', 'https'] },
    workspace: '0204e030-6d6d-4e10-ba4b-e0a6a0e0a8e0',
    workspace_name: 'default',
    tries: [{ balancer_start: 1726784135051, ip: '34.237.204.224', balancer_latency: 0, port: 80 }],
    client_ip: '192.168.65.1',
    request: { id: '2f6946328ffc4946b8c9120704a4a155', headers: { accept: '*/*', host: 'localhost:8000', 'user-agent': 'curl/8.7.1' }, uri: '/example/anything?x=1', size: 84, method: 'GET', querystring: { x: '1' }, url: 'http://localhost:8000/example/anything?x=1' },
    upstream_uri: '/anything?x=1',
    started_at: 1726784135050,
    source: 'upstream',
    upstream_status: '200',
    latencies: { kong: 3, proxy: 171, request: 174, receive: 0 },
    service: { name: 'example-service', host: 'httpbin.konghq.com', port: 80, protocol: 'http' },
    consumer: { username: 'alice', custom_id: 'crm-7', id: '80f74eef-31b8-45d5-c525-ae532297ea8e' },
  };

  it('one object a line: the service as api, the consumer as principal, latencies.request', () => {
    expect(ok('kong', [JSON.stringify(entry)])[0]).toEqual({
      id: 'test:1',
      timestamp: 1726784135050,
      direction: 'inbound',
      api: 'example-service',
      method: 'GET',
      path: '/example/anything',
      status: 200,
      latencyMs: 174,
      requestBytes: 84,
      responseBytes: 9982,
      clientIp: '192.168.65.1',
      principal: 'alice',
      clientId: 'crm-7',
      userAgent: 'curl/8.7.1',
      contentType: 'text/html; charset=utf-8',
    });
  });

  it('a batch array (http-log, max_batch_size > 1): each entry an event; a bad entry named by its index, the others kept', () => {
    const { consumer: _, service: __, ...anonymous } = entry;
    const batch = [entry, { ...anonymous, request: { ...entry.request, headers: { host: 'Shop.Example.com:8000', 'user-agent': ['a', 'b'] } }, authenticated_entity: { id: 'key-credential-9' } }, { request: {} }];
    const { events, tally } = parseLines([JSON.stringify(batch)], { format: 'kong' });
    expect(events.map((e) => [e.id, e.api, e.principal, e.userAgent])).toEqual([
      ['test:1.0', 'example-service', 'alice', 'curl/8.7.1'],
      ['test:1.1', 'shop.example.com', 'key-credential-9', 'a'],
    ]);
    expect(tally.rejections[0]!.reason).toMatch(/^1 of 3 batch entries rejected \(entry 2: no "request" and "response" objects/);
  });

  it('rejects what is not a serialized request', () => {
    expect(rejected('kong', '{"message":"hello"}')).toMatch(/no "request" and "response" objects/);
    expect(rejected('kong', JSON.stringify({ ...entry, started_at: '2024-09-19' }))).toMatch(/"started_at" "2024-09-19" is not epoch milliseconds/);
  });
});

describe('nginx-json: the documented log_format', () => {
  it('msec minus request_time is the start; principal wins over remote_user; strings for numbers', () => {
    const line = '{"msec":1796494528.323,"request_time":0.120,"time":"2026-12-05T18:15:28+00:00","remote_addr":"203.0.113.7","remote_user":"basic-user","principal":"acct-9","host":"Shop.example.com","request_method":"get","request_uri":"/a/b?c=d","status":"200","request_length":"110","body_bytes_sent":3,"content_type":"","http_user_agent":"","request_id":"x"}';
    expect(ok('nginx-json', [line])[0]).toEqual({ id: 'test:1', timestamp: 1796494528203, direction: 'inbound', api: 'shop.example.com', method: 'GET', path: '/a/b', status: 200, latencyMs: 120, requestBytes: 110, responseBytes: 3, clientIp: '203.0.113.7', principal: 'acct-9' });
    expect(ok('nginx-json', [line.replace('"msec":1796494528.323,', '')])[0]!.timestamp).toBe(Date.UTC(2026, 11, 5, 18, 15, 28));
  });
  it('rejects lines that are not the format', () => {
    expect(rejected('nginx-json', '{"status":200}')).toMatch(/^no time/);
    expect(rejected('nginx-json', '[1,2]')).toMatch(/expected a JSON object, got an array/);
  });
});

describe('vigil: the NDJSON of ApiTransaction v1', () => {
  it('checks each line as the detector does', () => {
    expect(rejected('vigil', '{"id":"broken"')).toMatch(/^VIGIL_DECODE_JSON_SYNTAX: not valid JSON/);
    expect(rejected('vigil', '{"id":"x","timestamp":"2026-11-23T10:00:00Z","direction":"sideways","api":"a","method":"GET","path":"/","status":200,"latencyMs":1}')).toMatch(/^VIGIL_VALIDATION: direction: expected one of inbound, outbound/);
  });
});
