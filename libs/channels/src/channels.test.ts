import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '@vigil/contracts';
import { createLogger } from '@vigil/telemetry';
import { alertmanagerChannel, logChannel, opsgenieChannel, pagerDutyChannel, slackChannel, verifySignature, webhookChannel } from './channels.js';
import type { Message } from './types.js';

/** A receiver on loopback that records what it gets and answers what the test says. */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base: string;
const received: Received[] = [];
let answer: { status: number; delayMs?: number } = { status: 202 };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received.length = 0;
  answer = { status: 202 };
});

const T = Date.UTC(2026, 10, 23, 3, 0);
const incident: Incident = {
  id: 'inc-abc',
  version: 2,
  change: 'escalated',
  state: 'open',
  tier: 'wake_up',
  groupKey: 'known_threat|accounts|ip:203.0.113.9',
  detector: 'known_threat',
  severity: 'critical',
  api: 'accounts',
  route: '/users/{id}',
  subject: { kind: 'ip', value: '203.0.113.9' },
  title: 'Known bad IP 203.0.113.9 called accounts',
  reason: 'known_threat is a known breach',
  findingCount: 2,
  lastFindingId: 'f-2',
  findingIds: ['f-1', 'f-2'],
  firstSeenAt: T,
  lastSeenAt: T + 60_000,
  changedAt: T + 60_000,
};
const message = (kind: Message['kind'] = 'trigger'): Message => ({ key: `inc-abc:2:${kind}`, kind, tier: 'wake_up', reason: 'known_threat is a known breach', incident });

describe('channels', () => {
  it('webhook: the incident as JSON, signed with HMAC-SHA256', async () => {
    const ch = webhookChannel({ name: 'hooks', url: `${base}/hook`, secret: 's3cret' });
    expect(await ch.send(message())).toEqual({ ok: true });
    const r = received[0]!;
    expect(JSON.parse(r.body)).toMatchObject({ key: 'inc-abc:2:trigger', kind: 'trigger', tier: 'wake_up', incident: { id: 'inc-abc', firstSeenAt: '2026-11-23T03:00:00.000Z' } });
    expect(verifySignature('s3cret', r.body, r.headers['x-vigil-signature'] as string)).toBe(true);
    expect(verifySignature('wrong', r.body, r.headers['x-vigil-signature'] as string)).toBe(false);
    expect(verifySignature('s3cret', `${r.body} `, r.headers['x-vigil-signature'] as string)).toBe(false);
  });

  it('slack: blocks with the facts a person needs', async () => {
    await slackChannel({ name: 'slack', webhookUrl: `${base}/services/T0/B0/XYZ` }).send(message());
    const body = JSON.parse(received[0]!.body) as { text: string; blocks: { type: string }[] };
    expect(body.text).toBe('[vigil wake_up] New: Known bad IP 203.0.113.9 called accounts');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(received[0]!.body).toContain('*Severity*\\ncritical');
  });

  it.each([
    ['trigger', 'trigger'],
    ['acknowledge', 'acknowledge'],
    ['resolve', 'resolve'],
  ] as const)('pagerduty: %s becomes event_action %s with dedup_key = incident id', async (kind, action) => {
    await pagerDutyChannel({ name: 'pd', routingKey: 'R0UT1NG', url: `${base}/v2/enqueue` }).send(message(kind));
    const body = JSON.parse(received[0]!.body) as Record<string, unknown> & { payload?: { severity: string } };
    expect(body).toMatchObject({ routing_key: 'R0UT1NG', event_action: action, dedup_key: 'inc-abc' });
    if (kind === 'trigger') expect(body.payload?.severity).toBe('critical');
    else expect(body.payload).toBeUndefined();
  });

  it('opsgenie: create with alias, then close by alias, with the API key header', async () => {
    const ch = opsgenieChannel({ name: 'og', apiKey: 'k-123', baseUrl: base });
    await ch.send(message());
    await ch.send(message('resolve'));
    expect(received.map((r) => r.url)).toEqual(['/v2/alerts', '/v2/alerts/inc-abc/close?identifierType=alias']);
    expect(received[0]!.headers.authorization).toBe('GenieKey k-123');
    expect(JSON.parse(received[0]!.body)).toMatchObject({ alias: 'inc-abc', priority: 'P1' });
  });

  it('alertmanager: POST /api/v2/alerts; a resolve ends the alert now', async () => {
    const ch = alertmanagerChannel({ name: 'am', url: base });
    await ch.send(message());
    await ch.send(message('resolve'));
    const [fire, end] = received.map((r) => (JSON.parse(r.body) as { labels: Record<string, string>; endsAt: string }[])[0]!);
    expect(received[0]!.url).toBe('/api/v2/alerts');
    expect(fire!.labels).toMatchObject({ alertname: 'vigil_known_threat', incident: 'inc-abc', severity: 'critical' });
    expect(new Date(fire!.endsAt).getTime()).toBeGreaterThan(incident.changedAt);
    expect(end!.endsAt).toBe('2026-11-23T03:01:00.000Z');
  });

  it('log: always delivers, to the logger', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    expect(await logChannel(createLogger({ service: 't', destination })).send(message())).toEqual({ ok: true });
    expect(JSON.parse(lines[0]!)).toMatchObject({ incident: 'inc-abc', tier: 'wake_up', msg: '[vigil wake_up] New: Known bad IP 203.0.113.9 called accounts' });
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [400, false],
    [401, false],
    [404, false],
  ])('an answer %i is retryable: %s', async (status, retryable) => {
    answer = { status };
    const result = await webhookChannel({ name: 'h', url: `${base}/h` }).send(message());
    expect(result).toMatchObject({ ok: false, retryable });
  });

  it('a timeout and a refused connection are retryable', async () => {
    answer = { status: 200, delayMs: 500 };
    expect(await webhookChannel({ name: 'h', url: `${base}/slow`, timeoutMs: 100 }).send(message())).toMatchObject({ ok: false, retryable: true, reason: expect.stringContaining('timed out after 100 ms') });
    expect(await webhookChannel({ name: 'h', url: 'http://127.0.0.1:1/x' }).send(message())).toMatchObject({ ok: false, retryable: true });
  });

  it('failure reasons never carry the secret parts of a URL or a token', async () => {
    answer = { status: 500 };
    const slack = await slackChannel({ name: 's', webhookUrl: `${base}/services/T0/B0/SECRETPATH` }).send(message());
    const hook = await webhookChannel({ name: 'h', url: `http://user:hunter2@127.0.0.1:1/x?token=abc123` }).send(message());
    for (const r of [slack, hook]) {
      expect(r.ok).toBe(false);
      const reason = (r as { reason: string }).reason;
      for (const secret of ['SECRETPATH', 'hunter2', 'abc123']) expect(reason).not.toContain(secret);
    }
  });

  it('refuses a channel without its URL or key at construction', () => {
    expect(() => webhookChannel({ name: 'h', url: 'not a url' })).toThrow(/channel h: the URL is not a URL/);
    expect(() => pagerDutyChannel({ name: 'pd', routingKey: '' })).toThrow(/routing key is required/);
    expect(() => slackChannel({ name: 's', webhookUrl: 'ftp://x' })).toThrow(/must be http/);
  });
});
