import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z, ZodError } from 'zod';
import { findingContract, incidentContract, incidentStates, toWireJson } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { acknowledge, incidentRecord, matcherSchema, resolve, silence, type IncidentState } from '@vigil/notifier-core';
import { scopeOf, suppressionId, type ExpiringRecordStore, type RecordWatcher, type Suppression } from '@vigil/suppressions';
import type { Logger } from '@vigil/telemetry';
import { NotFoundError } from './errors.js';
import type { Escalator } from './escalator.js';
import type { NotifierMetrics } from './metrics.js';
import { newSilenceId, type Silence } from './silences.js';
import type { IncidentStore } from './store.js';

const DAY = 24 * 3_600_000;

export interface ApiDeps {
  token: string;
  maxBodyBytes: number;
  escalator: Escalator;
  store: IncidentStore;
  suppressions: { store: ExpiringRecordStore<Suppression>; watcher: RecordWatcher<Suppression> };
  silences: { store: ExpiringRecordStore<Silence>; watcher: RecordWatcher<Silence> };
  clock: () => number;
  logger: Logger;
  metrics: NotifierMetrics;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const incidentIdPattern = /^inc-[A-Za-z0-9_-]{20}$/;
const suppressionIdPattern = /^sup-[A-Za-z0-9_-]{20}$/;
const silenceIdPattern = /^sil-[A-Za-z0-9_-]{16}$/;
const by = z.string().min(1).max(256).default('api');
const ackBody = z.object({ by, comment: z.string().max(1000).optional() }).strict();
const silenceBody = z
  .object({
    durationMs: z.number().int().min(60_000).max(90 * DAY),
    /** Also mute every other incident this matcher selects, now and later, until the silence ends. */
    matcher: matcherSchema.optional(),
    by,
    comment: z.string().max(1000).optional(),
  })
  .strict();
const verdictBody = z
  .object({
    verdict: z.enum(['false_positive', 'true_positive']),
    /** What a false positive suppresses: this detector about this subject (default), or this detector on this api/route. */
    scope: z.enum(['subject', 'route']).default('subject'),
    expiresInMs: z.number().int().min(60_000).max(365 * DAY).default(30 * DAY),
    by,
    reason: z.string().max(1000).optional(),
  })
  .strict();

/** The incident as the API shows it: Incident v1 (wire JSON) plus what only the notifier knows. */
function view(s: IncidentState): Record<string, unknown> {
  const wire = toWireJson(incidentContract, incidentRecord(s, 'updated', undefined, s.changedAt));
  delete wire.change;
  delete wire.reason;
  return { ...wire, ...(s.silencedUntil ? { silencedUntil: new Date(s.silencedUntil).toISOString() } : {}) };
}

/** Constant-time: both sides are hashed first, so neither the content nor the length of the token leaks through timing. */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const a = createHash('sha256').update(header.slice(7)).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(new HttpError(413, `body larger than ${max} bytes`));
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > max) {
        failed = true;
        reject(new HttpError(413, `body larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolveBody({});
      try {
        resolveBody(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'body is not valid JSON'));
      }
    });
  });
}

type Handler = (params: string[], body: () => Promise<unknown>, query: URLSearchParams) => Promise<[number, unknown]>;

/**
 * The notifier's HTTP API: incidents (list, show, ack, resolve, silence,
 * verdict), suppressions and silences. Every request needs the bearer
 * token; bodies are JSON, at most `maxBodyBytes`; ids are checked against
 * their pattern before they reach Redis.
 */
export function buildApi(deps: ApiDeps) {
  const log = deps.logger.child({ component: 'api' });

  async function incident(id: string): Promise<IncidentState> {
    if (!incidentIdPattern.test(id)) throw new HttpError(400, 'malformed incident id');
    const stored = await deps.store.get(id);
    if (!stored) throw new NotFoundError(`no incident ${id}`);
    return stored.state;
  }
  const checkedId = (id: string) => {
    if (!incidentIdPattern.test(id)) throw new HttpError(400, 'malformed incident id');
    return id;
  };

  const routes: { method: string; pattern: RegExp; handle: Handler }[] = [
    {
      method: 'GET',
      pattern: /^\/incidents$/,
      async handle(_p, _b, query) {
        const state = query.get('state');
        if (state !== null && !(incidentStates as readonly string[]).includes(state)) throw new HttpError(400, `state must be one of ${incidentStates.join(', ')}`);
        const limit = Number(query.get('limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
        const all = await deps.store.recent(state === null ? limit : 1000);
        return [200, { incidents: all.filter((s) => state === null || s.state === state).slice(0, limit).map(view) }];
      },
    },
    {
      method: 'GET',
      pattern: /^\/incidents\/([^/]+)$/,
      async handle([id]) {
        const s = await incident(id!);
        const findings = await deps.store.findings(s.id);
        return [200, { incident: view(s), findings: findings.map((f) => toWireJson(findingContract, f)) }];
      },
    },
    {
      method: 'POST',
      pattern: /^\/incidents\/([^/]+)\/ack$/,
      async handle([id], body) {
        const b = ackBody.parse(await body());
        const t = await deps.escalator.act(checkedId(id!), (s, now) => acknowledge(s, b.by, now));
        return [200, { incident: view(t.state) }];
      },
    },
    {
      method: 'POST',
      pattern: /^\/incidents\/([^/]+)\/resolve$/,
      async handle([id], body) {
        const b = ackBody.parse(await body());
        const t = await deps.escalator.act(checkedId(id!), (s, now) => resolve(s, b.by, now));
        return [200, { incident: view(t.state) }];
      },
    },
    {
      method: 'POST',
      pattern: /^\/incidents\/([^/]+)\/silence$/,
      async handle([id], body) {
        const b = silenceBody.parse(await body());
        const now = deps.clock();
        const until = now + b.durationMs;
        let record: Silence | undefined;
        if (b.matcher) {
          await incident(id!);
          record = await deps.silences.store.put({ id: newSilenceId(), matcher: b.matcher, createdAt: now, expiresAt: until, createdBy: b.by, incidentId: id, ...(b.comment ? { comment: b.comment } : {}) }, now);
          await deps.silences.watcher.refresh();
        }
        const t = await deps.escalator.act(checkedId(id!), (s, at) => silence(s, until, b.by, at));
        return [200, { incident: view(t.state), ...(record ? { silence: record } : {}) }];
      },
    },
    {
      method: 'POST',
      pattern: /^\/incidents\/([^/]+)\/verdict$/,
      async handle([id], body) {
        const b = verdictBody.parse(await body());
        const s = await incident(id!);
        deps.metrics.verdicts.labels(s.detector, b.verdict).inc();
        log.info({ incident: s.id, detector: s.detector, verdict: b.verdict, scope: b.scope, by: b.by }, 'verdict');
        if (b.verdict === 'true_positive') return [200, { incident: view(s) }];
        const now = deps.clock();
        const scope = scopeOf(s, b.scope);
        const suppression = await deps.suppressions.store.put(
          { id: suppressionId(s.detector, scope), detector: s.detector, scope, createdAt: now, expiresAt: now + b.expiresInMs, createdBy: b.by, incidentId: s.id, ...(b.reason ? { reason: b.reason } : {}) },
          now,
        );
        await deps.suppressions.watcher.refresh();
        deps.metrics.suppressions.set(deps.suppressions.watcher.size);
        const t = await deps.escalator.act(s.id, (cur, at) => resolve(cur, `${b.by} (false positive)`, at));
        return [200, { incident: view(t.state), suppression }];
      },
    },
    {
      method: 'GET',
      pattern: /^\/suppressions$/,
      async handle() {
        return [200, { suppressions: await deps.suppressions.store.list(deps.clock()) }];
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/suppressions\/([^/]+)$/,
      async handle([id]) {
        if (!suppressionIdPattern.test(id!)) throw new HttpError(400, 'malformed suppression id');
        if (!(await deps.suppressions.store.remove(id!, deps.clock()))) throw new NotFoundError(`no suppression ${id}`);
        await deps.suppressions.watcher.refresh();
        deps.metrics.suppressions.set(deps.suppressions.watcher.size);
        return [204, undefined];
      },
    },
    {
      method: 'GET',
      pattern: /^\/silences$/,
      async handle() {
        return [200, { silences: await deps.silences.store.list(deps.clock()) }];
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/silences\/([^/]+)$/,
      async handle([id]) {
        if (!silenceIdPattern.test(id!)) throw new HttpError(400, 'malformed silence id');
        if (!(await deps.silences.store.remove(id!, deps.clock()))) throw new NotFoundError(`no silence ${id}`);
        await deps.silences.watcher.refresh();
        return [204, undefined];
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!tokenMatches(deps.token, req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new HttpError(401, 'missing or wrong bearer token');
    }
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const candidates = routes.filter((r) => r.pattern.test(path));
    if (candidates.length === 0) throw new HttpError(404, 'no such endpoint');
    const route = candidates.find((r) => r.method === req.method);
    if (!route) {
      res.setHeader('allow', candidates.map((r) => r.method).join(', '));
      throw new HttpError(405, 'method not allowed');
    }
    const params = route.pattern.exec(path)!.slice(1).map((p) => decodeURIComponent(p));
    const [status, body] = await route.handle(params, () => readBody(req, deps.maxBodyBytes), url.searchParams);
    reply(res, status, body);
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req, res)
      .catch((err: unknown) => {
        const [status, body] = failure(err);
        if (status >= 500) log.error({ err, method: req.method }, 'API request failed');
        reply(res, status, body);
        // Stop reading an oversize or refused body.
        if (status === 413 || status === 401) req.resume();
      })
      .finally(() => log.debug({ method: req.method, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'api request'));
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  return {
    server,
    listen: (port: number, host = '127.0.0.1') =>
      new Promise<AddressInfo>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolveListen(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        if (!server.listening) return resolveClose();
        server.close((err) => (err ? reject(err) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}

function failure(err: unknown): [number, unknown] {
  if (err instanceof HttpError) return [err.status, { error: err.message, ...(err.details ? { details: err.details } : {}) }];
  if (err instanceof ZodError) return [400, { error: 'invalid request body', details: err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) }];
  if (err instanceof NotFoundError) return [404, { error: err.message }];
  if (err instanceof VigilError && err.code === 'VIGIL_SUPPRESSIONS_FULL') return [409, { error: err.message }];
  if (err instanceof VigilError && err.retriable) return [503, { error: 'temporarily unavailable; try again' }];
  return [500, { error: 'internal error' }];
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  if (status === 204) {
    res.writeHead(204);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
