import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freePort, waitFor } from './helpers.js';

/** One request an HTTP receiver got. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  text: string;
  body: unknown;
  at: number;
}

export interface HttpSink {
  url: string;
  port: number;
  received: Received[];
  /** Stops listening: senders get "connection refused" until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real HTTP receiver on loopback that records every request it accepts,
 * stamped with `clock()`. `answer` decides the reply (default 200
 * {"ok":true}); it may reject a request (e.g. a PagerDuty-compatible sink
 * validating the Events v2 shape).
 */
export interface HttpSinkOptions {
  answer?: (r: Received) => { status: number; body?: unknown };
  /** Stamps `at` (default Date.now). */
  clock?: () => number;
  /** Holds each reply this long (a slow receiver). */
  delayMs?: number;
  /** How long an idle kept-alive connection stays open (default 1000). */
  keepAliveTimeoutMs?: number;
}

export async function startHttpSink(options: HttpSinkOptions = {}): Promise<HttpSink> {
  const answer = options.answer ?? (() => ({ status: 200, body: { ok: true } }));
  const clock = options.clock ?? Date.now;
  const port = await freePort();
  const received: Received[] = [];
  let server: Server | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const r: Received = { path: req.url ?? '/', headers: req.headers, text, body, at: clock() };
      const { status, body: reply } = answer(r);
      if (status < 300) received.push(r);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply ?? {}));
      }, options.delayMs ?? 0);
    });
  };
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(handler);
      server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 1000;
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const down = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      server = undefined;
    });
  await up();
  return { url: `http://127.0.0.1:${port}`, port, received, up, down, stop: down };
}

/** A PagerDuty-Events-v2-compatible receiver: POST /v2/enqueue, validated like the real API (400 on a bad event, 202 on a good one). */
export function startPagerDutySink(): Promise<HttpSink> {
  return startHttpSink({
    answer: (r) => {
      const e = r.body as { routing_key?: unknown; event_action?: unknown; dedup_key?: unknown; payload?: { summary?: unknown; source?: unknown; severity?: unknown } } | undefined;
      const bad = (message: string) => ({ status: 400, body: { status: 'invalid event', message, errors: [message] } });
      if (r.path !== '/v2/enqueue') return { status: 404 };
      if (!e || typeof e.routing_key !== 'string' || e.routing_key.length !== 32) return bad('routing_key must be a 32-character integration key');
      if (!['trigger', 'acknowledge', 'resolve'].includes(String(e.event_action))) return bad('event_action is invalid');
      if (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255) return bad('dedup_key is required here');
      if (e.event_action === 'trigger') {
        const p = e.payload;
        if (!p || typeof p.summary !== 'string' || typeof p.source !== 'string' || !['critical', 'error', 'warning', 'info'].includes(String(p.severity))) return bad('payload is invalid');
      }
      return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: e.dedup_key } };
    },
  });
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpSink {
  port: number;
  mails: Mail[];
  stop(): Promise<void>;
}

/** A real SMTP server on loopback (smtp-server) that keeps every message. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const port = await freePort();
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port, mails, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export interface Alertmanager {
  url: string;
  /** Alerts Alertmanager holds as active, as its API v2 lists them. */
  alerts(): Promise<{ labels: Record<string, string>; annotations: Record<string, string>; endsAt: string; status: { state: string } }[]>;
  stop(): Promise<void>;
}

/** Debian's prometheus-alertmanager, started on loopback with a throwaway config and storage (stack.sh tools installs it). */
export async function startAlertmanager(): Promise<Alertmanager> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n');
  const child: ChildProcess = spawn(
    'prometheus-alertmanager',
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, `alertmanager to be ready (${stderr.slice(-500)})`, 30_000, 200);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    async alerts() {
      return (await (await fetch(`${url}/api/v2/alerts`)).json()) as Awaited<ReturnType<Alertmanager['alerts']>>;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
