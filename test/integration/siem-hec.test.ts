import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { ocsfProblems } from '../../libs/siem/src/ocsf-schema.fixture.js';
import { sample } from '../support/detector.js';
import { waitFor } from '../support/helpers.js';
import { finding, notifierRig, type NotifierRig } from '../support/notifier.js';

const TOKEN = '8d1c3f57-2b4e-4a8e-9c61-0f3d5a7b9e21';
const INDEX = 'vigil_it';

/** One event as the collector accepted it, with the request it came in. */
interface Accepted {
  request: number;
  channel: string;
  event: { time: number; host: string; source: string; sourcetype: string; index?: string; event: Record<string, unknown> };
}

/**
 * A HEC-compatible collector that checks the protocol as Splunk does: the
 * path, `Authorization: Splunk <token>`, a request channel when acks are on,
 * a body of concatenated JSON event objects each with a non-empty `event`,
 * and the ack endpoint's semantics (ids are per channel; an id is true once
 * "indexed"). A restart forgets every ack id, as a restarted indexer does.
 */
class HecCollector {
  accepted: Accepted[] = [];
  requests = 0;
  rejected: { status: number; code: number }[] = [];
  busy = false;
  /** While set, nothing is acknowledged: the events wait "in the pipeline". */
  holdAcks = false;
  private acks = new Map<string, Map<number, boolean>>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.acks = new Map();
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  private answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    if (status !== 200) this.rejected.push({ status, code: body.code as number });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST') return this.answer(res, 405, { text: 'Method not allowed', code: 6 });
      if (req.headers.authorization === undefined) return this.answer(res, 401, { text: 'Token is required', code: 2 });
      if (req.headers.authorization !== `Splunk ${TOKEN}`) return this.answer(res, 403, { text: 'Invalid token', code: 4 });
      const channel = req.headers['x-splunk-request-channel'];
      if (typeof channel !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(channel)) return this.answer(res, 400, { text: 'Data channel is missing', code: 10 });
      if (req.url === '/services/collector/ack') return this.ack(res, channel, body);
      if (req.url !== '/services/collector/event') return this.answer(res, 404, { text: 'The requested URL was not found on this server.', code: 404 });
      if (this.busy) return this.answer(res, 503, { text: 'Server is busy', code: 9 });
      this.events(res, channel, body);
    });
  }

  private events(res: ServerResponse, channel: string, body: string): void {
    const objects = splitConcatenatedJson(body);
    if (objects.length === 0) return this.answer(res, 400, { text: 'No data', code: 5 });
    const request = ++this.requests;
    const batch: Accepted[] = [];
    for (const [i, text] of objects.entries()) {
      let e: Accepted['event'];
      try {
        e = JSON.parse(text) as Accepted['event'];
      } catch {
        return this.answer(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': i });
      }
      if (!('event' in e)) return this.answer(res, 400, { text: 'Event field is required', code: 12, 'invalid-event-number': i });
      if (e.event === null || (typeof e.event === 'object' && Object.keys(e.event).length === 0)) return this.answer(res, 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': i });
      if (typeof e.time !== 'number' || !/^\d+(\.\d{1,3})?$/.test(String(e.time))) return this.answer(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': i });
      batch.push({ request, channel, event: e });
    }
    this.accepted.push(...batch);
    const ids = this.acks.get(channel) ?? new Map<number, boolean>();
    this.acks.set(channel, ids);
    const ackId = ids.size;
    ids.set(ackId, false);
    this.answer(res, 200, { text: 'Success', code: 0, ackId });
  }

  private ack(res: ServerResponse, channel: string, body: string): void {
    let asked: unknown;
    try {
      asked = (JSON.parse(body) as { acks?: unknown }).acks;
    } catch {
      return this.answer(res, 400, { text: 'Invalid data format', code: 6 });
    }
    if (!Array.isArray(asked) || !asked.every((id) => Number.isInteger(id))) return this.answer(res, 400, { text: 'Invalid data format', code: 6 });
    const ids = this.acks.get(channel) ?? new Map<number, boolean>();
    const acks: Record<string, boolean> = {};
    for (const id of asked as number[]) {
      // Indexed once asked about after the hold is lifted; unknown ids (from before a restart) are never acknowledged.
      if (ids.has(id) && !this.holdAcks) ids.set(id, true);
      acks[String(id)] = ids.get(id) === true;
    }
    this.answer(res, 200, { acks });
  }
}

/** The JSON objects of a body of concatenated objects (whitespace between them allowed), as text. */
function splitConcatenatedJson(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(body.slice(start, i + 1));
    else if (depth === 0 && !/\s/.test(c!)) out.push(c!); // stray text: JSON.parse refuses it as an event
  }
  if (depth !== 0) out.push(body.slice(start));
  return out;
}

const SUBJECTS = { n: 0 };
const highFindings = (count: number): Finding[] => Array.from({ length: count }, () => finding({ severity: 'high', subject: { kind: 'ip', value: `192.0.2.${++SUBJECTS.n}` } }));

describe('the splunk_hec channel against a HEC-compatible collector, through the notifier and its outbox', () => {
  let hec: HecCollector;
  let rig: NotifierRig;
  /** Messages the notifier counts as delivered to the collector (acknowledged: useAck is on). */
  let delivered: () => Promise<number>;

  beforeAll(async () => {
    hec = new HecCollector();
    await hec.start();
    process.env.VIGIL_IT_HEC_TOKEN = TOKEN;
    rig = await notifierRig({
      repeatIntervalMs: 0,
      resolveAfterMs: 24 * 3_600_000,
      tiers: { notify: ['splunk'] },
      findingChannels: ['splunk'],
      channels: {
        splunk: { type: 'splunk_hec', url: `http://127.0.0.1:${hec.port}`, token: { env: 'VIGIL_IT_HEC_TOKEN' }, index: INDEX, host: 'vigil-it', useAck: true, ackPollMs: 100, ackTimeoutMs: 2000, batch: { lingerMs: 150, maxEvents: 50 }, timeoutMs: 2000 },
      },
    });
    const { metrics } = await rig.start();
    delivered = async () => sample(await metrics.metrics(), 'vigil_notifications_sent_total', 'channel="splunk"');
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
    await hec?.stop();
    delete process.env.VIGIL_IT_HEC_TOKEN;
  });

  /** Accepted events of each finding, and of the opening of the incident it started (whose related events name it). */
  function deliveries(findings: readonly Finding[]): Map<string, { finding: Accepted[]; opened: Accepted[] }> {
    const out = new Map<string, { finding: Accepted[]; opened: Accepted[] }>();
    for (const f of findings) {
      const asFinding = hec.accepted.filter((a) => (a.event.event.metadata as { uid: string }).uid === f.id);
      const opened = hec.accepted.filter((a) => {
        const d = a.event.event as { finding_info: { related_events?: { uid: string }[] }; unmapped?: { change?: string } };
        return d.unmapped?.change === 'opened' && (d.finding_info.related_events ?? []).some((r) => r.uid === f.id);
      });
      out.set(f.id, { finding: asFinding, opened });
    }
    return out;
  }

  const allArrived = (findings: readonly Finding[]) => [...deliveries(findings).values()].every((d) => d.finding.length >= 1 && d.opened.length >= 1);

  it('delivers every finding and incident change, batched, acknowledged, and survives a restart, a lost ack and a busy collector with nothing lost', async () => {
    // 1. Steady state: 4 findings at once → 4 finding events + 4 incident openings, sharing requests.
    const first = highFindings(4);
    await rig.publish(first);
    await waitFor(() => allArrived(first), 'the first findings and their incidents at the collector');
    await waitFor(async () => (await delivered()) >= 8, 'the first 8 messages acknowledged and recorded as delivered');
    const perRequest = new Map<number, number>();
    for (const a of hec.accepted) perRequest.set(a.request, (perRequest.get(a.request) ?? 0) + 1);
    expect(Math.max(...perRequest.values())).toBeGreaterThan(1);

    // 2. Events accepted but never acknowledged, then the collector restarts (forgetting its ack ids) and is down for a while.
    hec.holdAcks = true;
    const held = highFindings(2);
    await rig.publish(held);
    await waitFor(() => allArrived(held), 'the held findings accepted (not acknowledged)');
    await hec.stop();
    const down = highFindings(2);
    await rig.publish(down);
    await waitFor(() => rig.logs.find((l) => l.msg === 'notification failed; will retry' && l.channel === 'splunk' && String(l.reason).includes('ECONNREFUSED')), 'a refused delivery while the collector is down');
    await waitFor(() => rig.logs.find((l) => l.msg === 'notification failed; will retry' && l.channel === 'splunk' && String(l.reason).includes('did not acknowledge')), 'an ack that never came, retried');
    hec.holdAcks = false;
    await hec.start();

    // 3. Busy (503, HEC code 9): retried, not dropped.
    await waitFor(() => allArrived(down), 'the findings sent while the collector was down');
    hec.busy = true;
    const busy = highFindings(2);
    await rig.publish(busy);
    await waitFor(() => hec.rejected.some((r) => r.status === 503 && r.code === 9), 'a busy answer');
    await waitFor(() => rig.logs.find((l) => l.msg === 'notification failed; will retry' && l.channel === 'splunk' && String(l.reason).includes('HEC code 9: Server is busy')), 'the busy answer retried');
    hec.busy = false;
    await waitFor(() => allArrived([...first, ...held, ...down, ...busy]), 'every finding and incident, after the collector recovered', 60_000);
    await new Promise((r) => setTimeout(r, 1500));

    // At least once: everything arrived; only what was accepted but never acknowledged came twice.
    const all = deliveries([...first, ...held, ...down, ...busy]);
    for (const f of [...first, ...down, ...busy]) expect([all.get(f.id)!.finding.length, all.get(f.id)!.opened.length], f.id).toEqual([1, 1]);
    for (const f of held) expect(all.get(f.id)!.finding.length, f.id).toBeGreaterThanOrEqual(2);

    // Every event is well formed HEC, and its document valid OCSF 1.7.0 Detection Finding.
    for (const a of hec.accepted) {
      expect(a.event).toMatchObject({ host: 'vigil-it', source: 'vigil', sourcetype: 'vigil:ocsf', index: INDEX });
      expect(Math.abs(a.event.time * 1000 - ((a.event.event.time as number) ?? 0))).toBeLessThan(1);
      expect(ocsfProblems(a.event.event)).toEqual([]);
    }
    // The token reached the collector's Authorization header only: never a log line of the notifier.
    expect(JSON.stringify(rig.logs)).not.toContain(TOKEN);
  });
});
