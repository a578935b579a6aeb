import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { findingContract, incidentContract, toWireJson } from '@vigil/contracts';
import { acknowledge, incidentRecord, matcherSchema, resolve, silence, type IncidentState } from '@vigil/notifier-core';
import { confirmationId, newSilenceId, scopeOf, suppressionId, type Confirmation, type ExpiringRecordStore, type RecordWatcher, type Silence, type Suppression } from '@vigil/records';
import type { Logger } from '@vigil/telemetry';
import { isConsolePath, loadConsoleAssets, serveConsole } from './api-console.js';
import { incidentFilter, matchesFilter, narrows } from './api-filters.js';
import { bearerToken, createLockout, defaultLockout, tokenMatches, type LockoutOptions } from './api-guard.js';
import { applySecurityHeaders } from './api-headers.js';
import { decodePathSegment, failure, HttpError, isClientAbort, readJsonBody, reply, requestUrl, type ApiRoute, type Role } from './api-http.js';
import { inventoryRoutes, noInventory, type InventoryReader } from './api-inventory.js';
import { trafficRoute, type TrafficReader } from './api-traffic.js';
import { NotFoundError } from './errors.js';
import type { Escalator } from './escalator.js';
import { apiMethods, type ApiRouteTemplate, type NotifierMetrics } from './metrics.js';
import type { IncidentStore } from './store.js';

const DAY = 24 * 3_600_000;

export interface ApiDeps {
  token: string;
  /** A read-only token: GET requests only (viewers of the console); absent, there is only the operators' token. */
  readToken?: string;
  maxBodyBytes: number;
  escalator: Escalator;
  store: IncidentStore;
  suppressions: { store: ExpiringRecordStore<Suppression>; watcher: RecordWatcher<Suppression> };
  silences: { store: ExpiringRecordStore<Silence>; watcher: RecordWatcher<Silence> };
  /** True-positive verdicts, for the detector: what they cover is never learned as business-as-usual. */
  confirmations: ExpiringRecordStore<Confirmation>;
  clock: () => number;
  logger: Logger;
  metrics: NotifierMetrics;
  /** Blocking an address after repeated failed authentications (defaults: 10 within a minute block it for 5 minutes). */
  lockout?: Partial<LockoutOptions>;
  /** The API inventory, read-only (`redisInventory`: the detector's keys in Redis); absent, no api has one. */
  inventory?: InventoryReader;
  /** The detector's per-minute api counts (`redisTraffic`), for the console's chart; absent, every count reads as missing. */
  traffic?: TrafficReader;
  /** The console's directory (default: the package's console/ folder). */
  consoleDir?: string;
}

const noTraffic: TrafficReader = (api, direction, from, to) => Promise.resolve({ api, direction, from, to, minutes: [], baseline: [] });

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
    /** What the verdict covers: this detector about this subject (default), or this detector on this api/route. */
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

/**
 * The notifier's HTTP API: incidents (list, show, ack, resolve, silence,
 * verdict), suppressions, silences and the API inventory (read-only).
 * Every request needs a bearer token (the read-only one may only GET),
 * except the console's files under /console/; bodies are JSON, at most
 * `maxBodyBytes`; ids are checked against their pattern before they reach
 * Redis.
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

  const routes: ApiRoute[] = [
    {
      method: 'GET',
      template: '/incidents',
      pattern: /^\/incidents$/,
      async handle(_p, _b, query) {
        const filter = incidentFilter(query);
        // Filtering happens after the read, so a narrowed list reads the newest 1000 (the most the API lists).
        const all = await deps.store.recent(narrows(filter) ? 1000 : filter.limit);
        return [200, { incidents: all.filter((s) => matchesFilter(s, filter)).slice(0, filter.limit).map(view) }];
      },
    },
    {
      method: 'GET',
      template: '/incidents/{id}',
      pattern: /^\/incidents\/([^/]+)$/,
      async handle([id]) {
        const s = await incident(id!);
        const findings = await deps.store.findings(s.id);
        return [200, { incident: view(s), findings: findings.map((f) => toWireJson(findingContract, f)) }];
      },
    },
    {
      method: 'POST',
      template: '/incidents/{id}/ack',
      pattern: /^\/incidents\/([^/]+)\/ack$/,
      async handle([id], body) {
        const b = ackBody.parse(await body());
        const t = await deps.escalator.act(checkedId(id!), (s, now) => acknowledge(s, b.by, now));
        return [200, { incident: view(t.state) }];
      },
    },
    {
      method: 'POST',
      template: '/incidents/{id}/resolve',
      pattern: /^\/incidents\/([^/]+)\/resolve$/,
      async handle([id], body) {
        const b = ackBody.parse(await body());
        const t = await deps.escalator.act(checkedId(id!), (s, now) => resolve(s, b.by, now));
        return [200, { incident: view(t.state) }];
      },
    },
    {
      method: 'POST',
      template: '/incidents/{id}/silence',
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
      template: '/incidents/{id}/verdict',
      pattern: /^\/incidents\/([^/]+)\/verdict$/,
      async handle([id], body) {
        const b = verdictBody.parse(await body());
        const s = await incident(id!);
        deps.metrics.verdicts.labels(s.detector, b.verdict).inc();
        log.info({ incident: s.id, detector: s.detector, verdict: b.verdict, scope: b.scope, by: b.by }, 'verdict');
        const now = deps.clock();
        const scope = scopeOf(s, b.scope);
        if (b.verdict === 'true_positive') {
          const confirmation = await deps.confirmations.put(
            { id: confirmationId(s.detector, scope), detector: s.detector, scope, createdAt: now, expiresAt: now + b.expiresInMs, createdBy: b.by, incidentId: s.id, ...(b.reason ? { reason: b.reason } : {}) },
            now,
          );
          return [200, { incident: view(s), confirmation }];
        }
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
      template: '/suppressions',
      pattern: /^\/suppressions$/,
      async handle() {
        return [200, { suppressions: await deps.suppressions.store.list(deps.clock()) }];
      },
    },
    {
      method: 'DELETE',
      template: '/suppressions/{id}',
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
      template: '/silences',
      pattern: /^\/silences$/,
      async handle() {
        return [200, { silences: await deps.silences.store.list(deps.clock()) }];
      },
    },
    {
      method: 'DELETE',
      template: '/silences/{id}',
      pattern: /^\/silences\/([^/]+)$/,
      async handle([id]) {
        if (!silenceIdPattern.test(id!)) throw new HttpError(400, 'malformed silence id');
        if (!(await deps.silences.store.remove(id!, deps.clock()))) throw new NotFoundError(`no silence ${id}`);
        await deps.silences.watcher.refresh();
        return [204, undefined];
      },
    },
    ...inventoryRoutes(deps.inventory ?? noInventory),
    trafficRoute(deps.traffic ?? noTraffic, deps.clock),
    {
      method: 'GET',
      template: '/session',
      pattern: /^\/session$/,
      async handle(_p, _b, _q, role) {
        return [200, { role, canAct: role === 'operator' }];
      },
    },
  ];
  const consoleAssets = loadConsoleAssets(deps.consoleDir);

  const lockoutOptions: LockoutOptions = { ...defaultLockout, ...deps.lockout };
  const lockout = createLockout(lockoutOptions);

  /** What a request is logged and counted by: never its raw path or credentials, which the caller controls. */
  interface RequestFacts {
    method: string;
    route: ApiRouteTemplate;
    address: string;
  }

  /**
   * Refuses a blocked address (429) or a request without the right token
   * (401, counted and logged at warn by route template and address); enough
   * failures from one address block it.
   */
  function authenticate(req: IncomingMessage, facts: RequestFacts): Role {
    const now = deps.clock();
    const blockedMs = lockout.blockedFor(facts.address, now);
    if (blockedMs > 0) {
      throw new HttpError(429, 'too many failed authentications from this address; try again later', undefined, { 'retry-after': String(Math.ceil(blockedMs / 1000)) });
    }
    const role = roleOf(req.headers.authorization);
    if (role) {
      lockout.succeed(facts.address);
      return role;
    }
    const reason = bearerToken(req.headers.authorization) === undefined ? 'missing' : 'invalid';
    deps.metrics.apiAuthFailures.labels(reason).inc();
    log.warn({ ...facts, reason }, 'API request refused: no valid bearer token');
    if (lockout.fail(facts.address, now)) {
      deps.metrics.apiBlocks.inc();
      log.warn({ address: facts.address, failures: lockoutOptions.failures, blockMs: lockoutOptions.blockMs }, 'blocking an address after repeated failed authentications');
    }
    throw new HttpError(401, 'missing or wrong bearer token', undefined, { 'www-authenticate': 'Bearer' });
  }

  /** Both tokens are always compared, so the time taken does not tell which one a guess came close to. */
  function roleOf(header: string | undefined): Role | undefined {
    const operator = tokenMatches(deps.token, header);
    const viewer = deps.readToken !== undefined && tokenMatches(deps.readToken, header);
    return operator ? 'operator' : viewer ? 'viewer' : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, facts: RequestFacts): Promise<void> {
    const url = requestUrl(req.url);
    if (url && isConsolePath(url.pathname)) {
      facts.route = '/console';
      res.statusCode = serveConsole(consoleAssets, req, res, url.pathname);
      return;
    }
    const path = url ? url.pathname.replace(/\/+$/, '') || '/' : '';
    const candidates = routes.filter((r) => r.pattern.test(path));
    facts.route = candidates[0]?.template ?? 'unmatched';
    const role = authenticate(req, facts);
    if (!url) throw new HttpError(400, 'the request target must be a path');
    if (candidates.length === 0) throw new HttpError(404, 'no such endpoint');
    const route = candidates.find((r) => r.method === req.method);
    if (!route) throw new HttpError(405, 'method not allowed', undefined, { allow: candidates.map((r) => r.method).join(', ') });
    if (role === 'viewer' && route.method !== 'GET') {
      log.warn({ ...facts }, 'API request refused: the read-only token cannot act');
      throw new HttpError(403, 'this token is read-only: it may list and show, not act');
    }
    const params = route.pattern.exec(path)!.slice(1).map(decodePathSegment);
    const [status, body] = await route.handle(params, () => readJsonBody(req, deps.maxBodyBytes), url.searchParams, role);
    reply(res, status, body);
  }

  /** Answers a failed request; a client that went away is its own business (info, no stack), a server fault is logged as an error. */
  function fail(err: unknown, req: IncomingMessage, res: ServerResponse, facts: RequestFacts): number {
    if (isClientAbort(err, req)) {
      log.info({ ...facts, code: (err as { code?: string }).code }, 'the client closed the connection before the reply');
      res.destroy();
      return 499;
    }
    const [status, body] = failure(err);
    if (status >= 500) log.error({ err, method: facts.method, route: facts.route }, 'API request failed');
    reply(res, status, body, err instanceof HttpError ? err.headers : {});
    // Stop reading a body that will not be read.
    if (!req.complete) req.resume();
    return status;
  }

  const server = createServer((req, res) => {
    applySecurityHeaders(res);
    const started = performance.now();
    const method = (apiMethods as readonly string[]).includes(req.method ?? '') ? req.method! : 'other';
    const facts: RequestFacts = { method, route: 'unmatched', address: req.socket.remoteAddress ?? 'unknown' };
    handle(req, res, facts)
      .then(() => res.statusCode)
      .catch((err: unknown) => fail(err, req, res, facts))
      .then((status) => {
        deps.metrics.apiRequests.labels(facts.route, facts.method, `${Math.floor(status / 100)}xx`).inc();
        log.debug({ ...facts, status, ms: Math.round(performance.now() - started) }, 'api request');
      });
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
