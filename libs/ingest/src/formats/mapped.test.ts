import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vigil/errors';
import { parseLines } from '../ingest.js';
import { parseMapSpec } from './mapped.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-map-'));
function mapFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// Traefik's JSON access log (accessLog.format: json), a log vigil has no format for.
const traefikMap = `# Traefik JSON access log -> ApiTransaction v1
fields:
  timestamp: StartUTC
  method: RequestMethod
  path: RequestPath
  status: DownstreamStatus
  latencyMs: { from: Duration, unit: ns }
  clientIp: ClientHost
  api: [RouterName, RequestHost]
  userAgent: request_User-Agent
  principal: request_X-Auth-User
  responseBytes: DownstreamContentSize
  requestBytes: RequestContentSize
  tags:
    entrypoint: entryPointName
    env: { value: prod }
`;
const traefik = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ ClientAddr: '203.0.113.7:51234', ClientHost: '203.0.113.7', DownstreamContentSize: 512, DownstreamStatus: 200, Duration: 18_400_000, RequestContentSize: 0, RequestHost: 'shop.example.com', RequestMethod: 'GET', RequestPath: '/users/1042/account?expand=1', RequestProtocol: 'HTTP/1.1', RouterName: 'accounts@docker', StartUTC: '2026-11-23T17:20:01.123456789Z', entryPointName: 'websecure', 'request_User-Agent': 'Mozilla/5.0', 'request_X-Auth-User': 'alice', level: 'info', msg: '', time: '2026-11-23T17:20:01Z', ...over });

describe('--map: any other JSON log', () => {
  it("maps Traefik's JSON access log: nanoseconds, the first present of two keys, constants and tags", () => {
    const { events, tally } = parseLines([traefik(), traefik({ RouterName: undefined, 'request_X-Auth-User': undefined, Duration: undefined })], { map: mapFile('traefik.yaml', traefikMap) });
    expect(tally.rejections).toEqual([]);
    expect(events[0]).toEqual({
      id: 'test:1',
      timestamp: Date.UTC(2026, 10, 23, 17, 20, 1, 123),
      direction: 'inbound',
      api: 'accounts@docker',
      method: 'GET',
      path: '/users/1042/account',
      status: 200,
      latencyMs: 18.4,
      clientIp: '203.0.113.7',
      principal: 'alice',
      userAgent: 'Mozilla/5.0',
      requestBytes: 0,
      responseBytes: 512,
      tags: { entrypoint: 'websecure', env: 'prod' },
    });
    expect(events[1]).toMatchObject({ api: 'shop.example.com', latencyMs: 0 });
    expect(events[1]!.principal).toBeUndefined();
    expect(tally.present).toMatchObject({ latencyMs: 1, principal: 1, clientIp: 2 });
  });

  it('epoch seconds, nested keys, dotted keys, a URL as path; --api wins', () => {
    const map = mapFile('ecs.json', JSON.stringify({ fields: { timestamp: { from: 'ts', as: 'epoch-s' }, method: 'http.request.method', path: 'url.full', status: 'http.response.status_code', latencyMs: { from: 'event.duration', unit: 's' }, principal: 'user.name', direction: { value: 'outbound' } } }));
    const line = JSON.stringify({ ts: 1796494528.5, http: { request: { method: 'post' }, response: { status_code: '503' } }, 'url.full': 'https://api.stripe.com/v1/charges?key=sk_live', 'event.duration': 0.25, user: { name: 'svc-checkout' } });
    const { events } = parseLines([line], { map, api: 'stripe' });
    expect(events[0]).toEqual({ id: 'test:1', timestamp: 1796494528500, direction: 'outbound', api: 'stripe', method: 'POST', path: '/v1/charges', status: 503, latencyMs: 250, principal: 'svc-checkout' });
    expect(parseLines([line], { map }).events[0]!.api).toBe('api.stripe.com');
  });

  it('rejects a line the map cannot read, naming the field', () => {
    const { tally } = parseLines([traefik({ DownstreamStatus: 'ok' }), traefik({ StartUTC: 'soon' }), 'not json'], { map: mapFile('t2.yaml', traefikMap) });
    expect(tally.rejections.map((r) => r.reason)).toEqual([
      'status "ok" is not an HTTP status (100-599)',
      'timestamp "soon" is not a time of the kind the map says',
      expect.stringMatching(/^not JSON/),
    ]);
  });

  it('checks the map at start and reports every problem by its key', () => {
    let err: unknown;
    try {
      parseMapSpec({ fields: { timestamp: { from: 'ts', as: 'epoch-days' }, path: 'p', status: 7, latencyMs: { from: 'd', unit: 'minutes' }, principle: 'user', tags: { a: { from: '' } } }, extra: 1 }, 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'fields.timestamp.as: expected one of iso8601, epoch-s, epoch-ms, epoch-us, clf',
        'fields.method: required: where the method of each line is',
        'fields.status: expected a key, a list of keys, { from: key } or { value: constant }',
        'fields.latencyMs.unit: expected one of s, ms, us, ns',
        expect.stringMatching(/^fields\.principle: not an ApiTransaction field \(one of timestamp, method, path, status, latencyMs, id, api/),
        expect.stringMatching(/^fields\.tags\.a/),
        'extra: unknown key',
      ]),
    );
    expect((err as ConfigError).message).toContain('file bad.yaml at fields.latencyMs.unit: expected one of s, ms, us, ns');
    expect(() => parseLines([], { map: mapFile('empty.yaml', '') })).toThrow(/fields: required/);
  });
});
