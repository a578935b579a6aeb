import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleFindings, sampleIncident } from '../../siem/src/samples.fixture.js';
import { octetFrame, pri, syslogSeverity } from './syslog-format.js';
import { syslogChannel, syslogMessage } from './syslog.js';
import type { Message } from './types.js';

const incident = sampleIncident();
const message = (over: Partial<Message> = {}): Message => ({ key: `${incident.id}.r1.trigger`, kind: 'trigger', tier: 'notify', reason: 'severity high', incident, ...over });
const RFC5424 = /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (-|\[.*?[^\\]\]) (.*)$/s;

/** Splits an octet-counted stream into messages, checking each length prefix. */
function deframe(stream: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < stream.length; ) {
    const space = stream.indexOf(0x20, at);
    const len = Number(stream.subarray(at, space).toString('ascii'));
    expect(Number.isInteger(len) && len > 0).toBe(true);
    out.push(stream.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return out;
}

describe('RFC 5424 messages', () => {
  it('computes PRI from facility and the vigil severity', () => {
    expect(pri('local4', 'critical')).toBe(162);
    expect(pri('authpriv', 'info')).toBe(86);
    expect(pri('kern', 'high')).toBe(3);
    expect(syslogSeverity).toEqual({ critical: 2, high: 3, medium: 4, low: 5, info: 6 });
  });

  it('writes header, structured data and the OCSF document as MSG', () => {
    const text = syslogMessage(message(), { name: 's', host: 'h', port: 1, hostname: 'vigil-1', sdId: 'vigil@32473' }, '42');
    const m = RFC5424.exec(text)!;
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBe(20 * 8 + syslogSeverity[incident.severity]);
    expect(m[2]).toBe(new Date(incident.changedAt).toISOString());
    expect(m.slice(3, 7)).toEqual(['vigil-1', 'vigil', '42', 'incident-opened']);
    expect(m[7]).toBe(`[vigil@32473 key="${incident.id}.r1.trigger" kind="trigger" incident="${incident.id}" tier="notify"]`);
    const doc = JSON.parse(m[8]!) as { class_uid: number; finding_info: { uid: string } };
    expect(doc.class_uid).toBe(2004);
    expect(doc.finding_info.uid).toBe(incident.id);
  });

  it('a finding message carries the finding as ECS, with msgid finding', () => {
    const f = sampleFindings()[0]!;
    const text = syslogMessage(message({ kind: 'finding', finding: f }), { name: 's', host: 'h', port: 1, format: 'ecs', facility: 'authpriv' });
    const m = RFC5424.exec(text)!;
    expect(Number(m[1])).toBe(10 * 8 + syslogSeverity[f.severity]);
    expect(m[6]).toBe('finding');
    expect(m[7]).toBe('-');
    const doc = JSON.parse(m[8]!) as { event: { kind: string; id: string } };
    expect(doc.event).toMatchObject({ kind: 'alert', id: f.id });
  });

  it('hostile text stays inside the JSON and the SD value: printable ASCII, no newline, escaped quotes and brackets', () => {
    const hostile = sampleIncident({ title: 'x\n<13>1 - forged - - - - "]\u2028\u00e9', subject: { kind: 'principal', value: 'a"]\\ b\r\n' } });
    const text = syslogMessage(message({ incident: hostile, key: 'k"]\\' }), { name: 's', host: 'h', port: 1, hostname: 'bad host\nname', sdId: 'vigil@32473' });
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    const m = RFC5424.exec(text)!;
    expect(m[3]).toBe('badhostname');
    expect(m[7]).toContain('key="k\\"\\]\\\\"');
    expect((JSON.parse(m[8]!) as { message: string }).message).toBe(hostile.title);
  });

  it('frames by octet count (bytes, not characters)', () => {
    expect(octetFrame('<14>1 é').toString('utf8')).toBe('8 <14>1 é');
    expect(deframe(Buffer.concat([octetFrame('abc'), octetFrame('de f')]))).toEqual(['abc', 'de f']);
  });
});

describe('the syslog channel over TCP', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  /** A receiver that keeps what arrives per connection. */
  async function receiver(port = 0): Promise<{ port: number; streams: Buffer[][] }> {
    const streams: Buffer[][] = [];
    server = createServer((s) => {
      sockets.add(s);
      const chunks: Buffer[] = [];
      streams.push(chunks);
      s.on('data', (c) => chunks.push(c));
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    return { port: (server.address() as AddressInfo).port, streams };
  }

  it('keeps one connection for many messages', async () => {
    const r = await receiver();
    const ch = syslogChannel({ name: 'siem', host: '127.0.0.1', port: r.port });
    for (let i = 0; i < 3; i++) expect(await ch.send(message({ key: `k${i}` }))).toEqual({ ok: true });
    await new Promise((res) => setTimeout(res, 50));
    expect(r.streams).toHaveLength(1);
    expect(deframe(Buffer.concat(r.streams[0]!)).map((t) => RFC5424.test(t))).toEqual([true, true, true]);
  });

  it('a refused connection is retryable; after the receiver closed, the next send reconnects', async () => {
    const r = await receiver();
    const ch = syslogChannel({ name: 'siem', host: '127.0.0.1', port: r.port, timeoutMs: 1000, sdId: 'vigil@32473' });
    expect(await ch.send(message())).toEqual({ ok: true });
    for (const s of sockets) s.destroy();
    await new Promise<void>((res) => server!.close(() => res()));
    server = undefined;
    await new Promise((res) => setTimeout(res, 50));
    const down = await ch.send(message());
    expect(down).toMatchObject({ ok: false, retryable: true });
    expect((down as { reason: string }).reason).toMatch(/^syslog channel siem: tcp:\/\/127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
    const again = await receiver(r.port);
    expect(await ch.send(message({ key: 'after' }))).toEqual({ ok: true });
    await new Promise((res) => setTimeout(res, 50));
    expect(deframe(Buffer.concat(again.streams[0]!))[0]).toContain('key="after"');
  });

  it('refuses a frame over maxMessageBytes, for good, without cutting it', async () => {
    const ch = syslogChannel({ name: 'siem', host: '127.0.0.1', port: 9, maxMessageBytes: 2048 });
    const big = sampleIncident({ title: 'x'.repeat(200), reason: 'y'.repeat(3000) });
    const result = await ch.send(message({ incident: big }));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect((result as { reason: string }).reason).toMatch(/over maxMessageBytes 2048/);
  });
});
