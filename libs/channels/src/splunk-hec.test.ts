import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleFindings, sampleIncident } from '../../siem/src/samples.fixture.js';
import { createBatcher } from './batcher.js';
import { createAckTracker } from './hec-ack.js';
import { batchFailure, hecFailure } from './hec-response.js';
import { hecEvent, splunkHecChannel } from './splunk-hec.js';
import type { Message, SendResult } from './types.js';

const TOKEN = '11111111-2222-3333-4444-555555555555';
const incident = sampleIncident();
const message = (key: string): Message => ({ key, kind: 'trigger', tier: 'notify', reason: 'r', incident });

interface Got {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base: string;
let got: Got[] = [];
/** What the collector answers to an event POST, and to ack queries. */
let answer: { status: number; body: unknown } = { status: 200, body: { text: 'Success', code: 0 } };
let ackAnswer: (ids: number[]) => Record<string, boolean> = (ids) => Object.fromEntries(ids.map((i) => [i, true]));

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ url: req.url!, headers: req.headers, body });
      const reply = req.url === '/services/collector/ack' ? { status: 200, body: { acks: ackAnswer((JSON.parse(body) as { acks: number[] }).acks) } } : answer;
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  got = [];
  answer = { status: 200, body: { text: 'Success', code: 0 } };
  ackAnswer = (ids) => Object.fromEntries(ids.map((i) => [i, true]));
});

/** The events of one request body: concatenated JSON objects. */
const events = (body: string) => body.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('HEC events', () => {
  it('carries time in epoch seconds with ms, host, source, sourcetype, index and the document', () => {
    const e = JSON.parse(hecEvent(message('k'), { name: 'h', url: base, token: TOKEN, index: 'security' }, 'vigil-1')) as Record<string, unknown>;
    expect(e).toMatchObject({ time: incident.changedAt / 1000, host: 'vigil-1', source: 'vigil', sourcetype: 'vigil:ocsf', index: 'security' });
    expect((e.event as { class_uid: number }).class_uid).toBe(2004);
    const f = sampleFindings()[0]!;
    const ecs = JSON.parse(hecEvent({ ...message('f'), kind: 'finding', finding: f }, { name: 'h', url: base, token: TOKEN, format: 'ecs' }, 'h')) as Record<string, unknown>;
    expect(ecs).toMatchObject({ sourcetype: 'vigil:ecs', event: { event: { kind: 'alert', id: f.id } } });
    expect(ecs.index).toBeUndefined();
  });
});

describe('the splunk_hec channel', () => {
  it('batches messages sent within the linger into one request; each send gets its batch result', async () => {
    const ch = splunkHecChannel({ name: 'splunk', url: base, token: TOKEN, batch: { lingerMs: 50, maxEvents: 3 } });
    expect(ch.concurrent).toBe(true);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((k) => ch.send(message(k))));
    expect(results).toEqual(Array(4).fill({ ok: true }));
    expect(got.map((g) => events(g.body).length)).toEqual([3, 1]);
    expect(got[0]!.url).toBe('/services/collector/event');
    expect(got[0]!.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(got[0]!.headers['x-splunk-request-channel']).toBeUndefined();
  });

  it('with useAck, sends a channel id and waits until the collector acknowledges the ackId', async () => {
    answer = { status: 200, body: { text: 'Success', code: 0, ackId: 7 } };
    let polls = 0;
    ackAnswer = (ids) => Object.fromEntries(ids.map((i) => [i, ++polls >= 2]));
    const ch = splunkHecChannel({ name: 'splunk', url: base, token: TOKEN, useAck: true, ackPollMs: 20, batch: { lingerMs: 0 } });
    expect(await ch.send(message('a'))).toEqual({ ok: true });
    const channelId = got[0]!.headers['x-splunk-request-channel'];
    expect(channelId).toMatch(/^[0-9a-f-]{36}$/);
    const queries = got.filter((g) => g.url === '/services/collector/ack');
    expect(queries).toHaveLength(2);
    expect(JSON.parse(queries[0]!.body)).toEqual({ acks: [7] });
    expect(queries[0]!.headers['x-splunk-request-channel']).toBe(channelId);
  });

  it('an ackId never acknowledged in time is retryable (sent again: at least once)', async () => {
    answer = { status: 200, body: { text: 'Success', code: 0, ackId: 3 } };
    ackAnswer = (ids) => Object.fromEntries(ids.map((i) => [i, false]));
    const ch = splunkHecChannel({ name: 'splunk', url: base, token: TOKEN, useAck: true, ackPollMs: 20, ackTimeoutMs: 100, batch: { lingerMs: 0 } });
    const r = await ch.send(message('a'));
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect((r as { reason: string }).reason).toContain('did not acknowledge ackId 3 in time');
  });

  it('useAck against a token without acknowledgement is a clear permanent failure', async () => {
    const ch = splunkHecChannel({ name: 'splunk', url: base, token: TOKEN, useAck: true, batch: { lingerMs: 0 } });
    const r = await ch.send(message('a'));
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect((r as { reason: string }).reason).toMatch(/no ackId/);
  });

  it('maps HEC errors: busy is retried, a refused token or data is not; the token never shows', async () => {
    const cases: [number, unknown, boolean, RegExp][] = [
      [503, { text: 'Server is busy', code: 9 }, true, /is unavailable: HTTP 503 \(HEC code 9: Server is busy\)/],
      [500, { text: 'Internal server error', code: 8 }, true, /HTTP 500/],
      [429, {}, true, /HTTP 429/],
      [403, { text: 'Invalid token', code: 4 }, false, /refused the token: HTTP 403 \(HEC code 4: Invalid token\)/],
      [401, { text: 'Token is required', code: 2 }, false, /refused the token/],
      [400, { text: 'Incorrect index', code: 7 }, false, /refused the data: HTTP 400/],
      [404, 'not json', false, /has no collector at this URL/],
    ];
    for (const [status, body, retryable, reason] of cases) {
      answer = { status, body };
      const ch = splunkHecChannel({ name: 'splunk', url: `http://user:${TOKEN}@127.0.0.1:${new URL(base).port}`, token: TOKEN, batch: { lingerMs: 0 } });
      const r = (await ch.send(message('a'))) as Extract<SendResult, { ok: false }>;
      expect(r.ok, String(status)).toBe(false);
      expect(r.retryable, String(status)).toBe(retryable);
      expect(r.reason).toMatch(/^splunk_hec channel splunk: /);
      expect(r.reason).toMatch(reason);
      expect(r.reason).not.toContain(TOKEN);
    }
  });

  it('a collector that is down is retryable, and the reason has no token', async () => {
    const ch = splunkHecChannel({ name: 'splunk', url: 'http://127.0.0.1:9', token: TOKEN, batch: { lingerMs: 0 } });
    const r = (await ch.send(message('a'))) as Extract<SendResult, { ok: false }>;
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect(r.reason).toMatch(/request to http:\/\/127\.0\.0\.1:9 failed: ECONNREFUSED/);
    expect(r.reason).not.toContain(TOKEN);
  });

  it('refuses a URL that is not http(s) and a missing token', () => {
    expect(() => splunkHecChannel({ name: 'x', url: 'ftp://a', token: TOKEN })).toThrow(/must be http\(s\)/);
    expect(() => splunkHecChannel({ name: 'x', url: base, token: '' })).toThrow(/HEC token is required/);
  });
});

describe('HEC error mapping of a batch', () => {
  it('invalid-event-number fails that event for good and retries the others', () => {
    const failure = hecFailure('s', 'http://h', 400, { text: 'Invalid data format', code: 6 });
    const results = batchFailure(3, failure, { code: 6, 'invalid-event-number': 1 });
    expect(results.map((r) => (r.ok ? 'ok' : r.retryable))).toEqual([true, false, true]);
    expect(batchFailure(2, failure, { code: 6, 'invalid-event-number': 5 }).map((r) => (r.ok ? 'ok' : r.retryable))).toEqual([false, false]);
  });
});

describe('the batcher', () => {
  it('caps a batch by bytes, and an oversize item goes alone', async () => {
    const batches: string[][] = [];
    const b = createBatcher<string, number>({ lingerMs: 20, maxCount: 100, maxBytes: 10, flush: async (items) => (batches.push(items), items.map((i) => i.length)) });
    const results = await Promise.all(['aaaa', 'bbbb', 'cccc', 'dddddddddddd', 'e'].map((s) => b.add(s, s.length)));
    expect(results).toEqual([4, 4, 4, 12, 1]);
    expect(batches).toEqual([['aaaa', 'bbbb'], ['cccc'], ['dddddddddddd'], ['e']]);
  });
});

describe('the ack tracker', () => {
  it('polls every outstanding id in one query; a failing query is tried again until the deadline', async () => {
    const queries: number[][] = [];
    let fail = true;
    const t = createAckTracker({
      pollMs: 10,
      timeoutMs: 1000,
      query: async (ids) => {
        queries.push(ids);
        if (fail) {
          fail = false;
          throw new Error('503');
        }
        return Object.fromEntries(ids.map((i) => [i, true]));
      },
    });
    expect(await Promise.all([t.wait(1), t.wait(2)])).toEqual([true, true]);
    expect(queries).toEqual([[1, 2], [1, 2]]);
  });

  it('an id handed out again (the collector restarted) ends the older wait as not acknowledged', async () => {
    const t = createAckTracker({ pollMs: 10, timeoutMs: 1000, query: async (ids) => Object.fromEntries(ids.map((i) => [i, true])) });
    const old = t.wait(0);
    const later = t.wait(3);
    const fresh = t.wait(0);
    expect(await Promise.all([old, later, fresh])).toEqual([false, true, true]);
  });
});
