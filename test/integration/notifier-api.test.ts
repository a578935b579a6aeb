import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from '@vigil/telemetry';
import { waitFor } from '../support/helpers.js';
import { API_TOKEN, notifierRig, type NotifierRig } from '../support/notifier.js';

/**
 * The incidents API as a hostile or careless client meets it, over real HTTP
 * against a real notifier: malformed percent-encodings, the scheme's case,
 * clients that hang up, token guessing, bodies that are not JSON.
 */
describe('the notifier API against outside clients', () => {
  let rig: NotifierRig;
  let api: string;
  let metrics: Registry;
  const lockout = { failures: 5, windowMs: 60_000, blockMs: 30_000 };

  /** A request sent exactly as written (fetch would normalise the path), answered with its status, headers and JSON body. */
  function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> | undefined }> {
    return new Promise((resolve, reject) => {
      const req = request(`${api}${path}`, { method, headers: { authorization: `Bearer ${API_TOKEN}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const errorLines = () => rig.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
  /** The sum of a metric's samples whose labels include `labels`. */
  async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const values = (await metrics.getSingleMetric(name)!.get()).values;
    return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
  }

  beforeAll(async () => {
    rig = await notifierRig({}, { lockout });
    ({ api, metrics } = await rig.start());
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('answers a malformed percent-encoding with 400 and the error shape, and logs no error', async () => {
    const cases: [string, string][] = [
      ['GET', '/incidents/inc-%zz'],
      ['GET', '/incidents/%'],
      ['POST', '/incidents/inc-%zz/ack'],
      ['POST', '/incidents/%E0%A4%A/verdict'],
      ['DELETE', '/suppressions/%zz'],
      ['DELETE', '/silences/%'],
    ];
    for (const [method, path] of cases) {
      const r = await raw(method, path);
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 400 });
      expect(r.json).toEqual({ error: 'malformed percent-encoding in the path' });
    }
    expect(errorLines()).toEqual([]);
  });

  it('reads the bearer scheme case-insensitively', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await raw('GET', '/incidents', { authorization: `${scheme} ${API_TOKEN}` });
      expect({ scheme, status: r.status }).toEqual({ scheme, status: 200 });
    }
  });

  it('refuses a body that is not application/json with 415, before reading it', async () => {
    const path = '/incidents/inc-AAAAAAAAAAAAAAAAAAAA/ack';
    const plain = await raw('POST', path, { 'content-type': 'text/plain' }, '{"by":"me"}');
    expect(plain.status).toBe(415);
    expect(String(plain.json?.error)).toContain('application/json');
    expect((await raw('POST', path, {}, '{"by":"me"}')).status).toBe(415); // no content type at all
    expect((await raw('POST', path, { 'content-type': 'application/x-www-form-urlencoded' }, 'by=me')).status).toBe(415);
    // JSON with a charset goes through (to the unknown incident's 404), as does no body at all.
    expect((await raw('POST', path, { 'content-type': 'application/json; charset=utf-8' }, '{"by":"me"}')).status).toBe(404);
    expect((await raw('POST', path)).status).toBe(404);
  });

  it('logs a client that hangs up mid-body at info without a stack, and answers the next request', async () => {
    const before = rig.logs.length;
    for (const hangUp of ['end', 'reset'] as const) {
      const { port } = new URL(api);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`POST /incidents/inc-AAAAAAAAAAAAAAAAAAAA/ack HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"by":"half`);
      await new Promise((r) => setTimeout(r, 100));
      if (hangUp === 'reset') socket.resetAndDestroy();
      else socket.destroy();
    }
    const abortLines = () => rig.logs.slice(before).filter((l) => l.msg === 'the client closed the connection before the reply');
    await waitFor(() => abortLines().length === 2, 'both hang-ups logged', 5000);
    for (const line of abortLines()) {
      expect(line.level).toBe('info');
      expect(line.err).toBeUndefined();
      expect(line.route).toBe('/incidents/{id}/ack');
    }
    expect(errorLines()).toEqual([]);
    expect((await raw('GET', '/incidents')).status).toBe(200);
  });

  it('counts requests by route template and status class', async () => {
    const ok = await metric('vigil_api_requests_total', { route: '/incidents', method: 'GET', status_class: '2xx' });
    expect(ok).toBeGreaterThanOrEqual(4);
    expect(await metric('vigil_api_requests_total', { route: '/incidents/{id}', method: 'GET', status_class: '4xx' })).toBeGreaterThanOrEqual(2);
    await raw('GET', '/nothing/here?x=<script>');
    expect(await metric('vigil_api_requests_total', { route: 'unmatched', method: 'GET', status_class: '4xx' })).toBe(1);
    expect(await metrics.metrics()).not.toContain('<script>');
  });

  it('counts and logs failed authentications, then blocks the address with 429 for a while', async () => {
    const guess = 'Bearer guessed-token-0123456789';
    const r1 = await raw('GET', '/incidents', { authorization: '' });
    expect(r1.status).toBe(401);
    expect(r1.headers['www-authenticate']).toBe('Bearer');
    for (let i = 0; i < lockout.failures - 1; i++) expect((await raw('POST', '/incidents/inc-AAAAAAAAAAAAAAAAAAAA/resolve', { authorization: guess })).status).toBe(401);
    expect(await metric('vigil_api_auth_failures_total', { reason: 'missing' })).toBe(1);
    expect(await metric('vigil_api_auth_failures_total', { reason: 'invalid' })).toBe(lockout.failures - 1);
    expect(await metric('vigil_api_address_blocks_total')).toBe(1);

    // Blocked: even the right token gets 429, with Retry-After.
    const blocked = await raw('GET', '/incidents');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(lockout.blockMs / 1000);

    const refused = rig.logs.filter((l) => l.msg === 'API request refused: no valid bearer token');
    expect(refused.length).toBe(lockout.failures);
    expect(refused.every((l) => l.level === 'warn' && l.address === '127.0.0.1')).toBe(true);
    expect(refused.map((l) => `${l.method} ${l.route} ${l.reason}`)).toContain('POST /incidents/{id}/resolve invalid');
    expect(rig.logs.some((l) => l.msg === 'blocking an address after repeated failed authentications' && l.level === 'warn')).toBe(true);
    expect(JSON.stringify(rig.logs)).not.toContain('guessed-token');
    expect(JSON.stringify(rig.logs)).not.toContain(API_TOKEN);

    // When the block ends, the right token works again.
    rig.skew.ms += lockout.blockMs + 1000;
    expect((await raw('GET', '/incidents')).status).toBe(200);
  });
});
