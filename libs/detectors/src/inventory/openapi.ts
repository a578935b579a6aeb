/**
 * The observed inventory as an OpenAPI 3.1.0 document: what traffic showed
 * of an api (paths, methods, status codes, content types, who called), for
 * teams that have no spec or want to compare theirs with reality. Pure: the
 * same endpoints and options give the same document, keys in a fixed order.
 *
 * Traffic shows no schemas: vigil keeps a hash of each response's shape, so
 * every media type's schema is `{}` and the hashes are listed in the
 * operation's `x-vigil-response-signatures`.
 */
import { OVERFLOW_ROUTE } from '../storage/keys.js';
import { inventoryMethod, type InventoryEndpoint } from './model.js';

export interface OpenApiOptions {
  /** The api to describe, both directions (an outbound provider's calls are marked `x-vigil-direction: outbound`). */
  api?: string;
  /** Default: `<api> (observed by vigil)`. */
  title?: string;
  /** Epoch ms; its UTC day is the document's `info.version`. */
  generatedAt: number;
}

/** A plain JSON object (what `JSON.stringify` writes out as the document). */
export type OpenApiDocument = Record<string, unknown>;

/** The methods an OpenAPI 3.1 path item can hold, in the order they are written; CONNECT and OTHER have no field there. */
const OPERATION_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const;
const SECURITY_SCHEME = 'observedPrincipal';

/**
 * One document for one api. With `o.api`, that api's endpoints in both
 * directions; without it, the inbound endpoints, which must then all be of
 * one api: given several, this throws (pass `o.api`, or use
 * `inventoryToOpenApiByApi` for one document per api), since one document
 * mixing apis would merge unrelated routes under the same paths.
 * The overflow route `{other}` is left out (it is not a route of the api).
 */
export function inventoryToOpenApi(endpoints: readonly InventoryEndpoint[], o: OpenApiOptions): OpenApiDocument {
  const chosen = selectEndpoints(endpoints, o.api);
  const api = o.api ?? chosen[0]?.api;
  const usedIds = new Set<string>();
  const paths: Record<string, unknown> = {};
  let secured = false;
  for (const group of groupByPath(chosen)) {
    const { item, anySecured } = pathItem(group, usedIds);
    paths[group.path] = item;
    secured ||= anySecured;
  }
  const doc: OpenApiDocument = { openapi: '3.1.0', info: info(api, o), paths };
  if (secured) doc.components = { securitySchemes: { [SECURITY_SCHEME]: securityScheme() } };
  return doc;
}

/** One document per api seen in `endpoints` (each with both directions), by api name in code-unit order. */
export function inventoryToOpenApiByApi(endpoints: readonly InventoryEndpoint[], o: Omit<OpenApiOptions, 'api' | 'title'>): Map<string, OpenApiDocument> {
  const apis = [...new Set(endpoints.map((e) => e.api))].sort(compareText);
  return new Map(apis.map((api) => [api, inventoryToOpenApi(endpoints, { ...o, api })]));
}

function selectEndpoints(endpoints: readonly InventoryEndpoint[], api: string | undefined): InventoryEndpoint[] {
  const chosen = endpoints.filter((e) => e.route !== OVERFLOW_ROUTE && (api === undefined ? e.direction === 'inbound' : e.api === api));
  if (api === undefined) {
    const apis = [...new Set(chosen.map((e) => e.api))].sort(compareText);
    if (apis.length > 1) throw new Error(`inventoryToOpenApi: the endpoints are of ${apis.length} apis (${apis.join(', ')}); name one with the api option, or use inventoryToOpenApiByApi`);
  }
  return chosen;
}

function info(api: string | undefined, o: OpenApiOptions): Record<string, unknown> {
  const at = new Date(o.generatedAt).toISOString();
  return {
    title: o.title ?? `${api ?? 'API'} (observed by vigil)`,
    version: at.slice(0, 10),
    description:
      `Rebuilt by vigil from the traffic it observed, as of ${at}: the paths, methods, status codes and content types seen, not a declared contract. ` +
      'Schemas are empty: vigil keeps a hash of each response shape (x-vigil-response-signatures), not the shape.',
    ...(api === undefined ? {} : { 'x-vigil-api': api }),
    'x-vigil-generated-at': at,
  };
}

function securityScheme(): Record<string, unknown> {
  return {
    type: 'http',
    scheme: 'bearer',
    description: 'Inferred by vigil from traffic: most calls to the operations that list it carried a principal. The real scheme (bearer token, API key, session) is not known.',
  };
}

/** The endpoints of one OpenAPI path: routes that differ only in parameter names (`/a/{id}`, `/a/:id`) share it. */
interface PathGroup {
  path: string;
  params: string[];
  byMethod: Map<string, InventoryEndpoint[]>;
}

function groupByPath(endpoints: readonly InventoryEndpoint[]): PathGroup[] {
  const sorted = [...endpoints].sort((a, b) => compareText(a.route, b.route) || compareText(a.method, b.method) || compareText(a.direction, b.direction));
  const groups = new Map<string, PathGroup>();
  for (const e of sorted) {
    const t = templatePath(e.route);
    let group = groups.get(t.shape);
    if (!group) groups.set(t.shape, (group = { path: t.path, params: t.params, byMethod: new Map() }));
    const method = inventoryMethod(e.method);
    const list = group.byMethod.get(method);
    if (list) list.push(e);
    else group.byMethod.set(method, [e]);
  }
  return [...groups.values()].sort((a, b) => compareText(a.path, b.path));
}

/** `{x}` templates, and stray braces (which OpenAPI would read as a template), in one pass. */
const TEMPLATE = /\{([^{}]*)\}|[{}]/g;

/**
 * A route as an OpenAPI path: Express `:id` and Flask `<int:id>` segments
 * become `{id}`, every parameter name is unique in the path (OpenAPI needs
 * one declaration per name) and `shape` is the path with names dropped.
 */
export function templatePath(route: string): { path: string; shape: string; params: string[] } {
  const params: string[] = [];
  const path = (route.startsWith('/') ? route : `/${route}`)
    .split('/')
    .map((s) => {
      const bare = /^:([A-Za-z_]\w*)$/.exec(s) ?? /^<(?:[^:<>]+:)?([^<>]+)>$/.exec(s);
      const segment = bare ? `{${bare[1]}}` : s;
      return segment.replace(TEMPLATE, (m, raw: string | undefined) => (raw === undefined ? encodeURIComponent(m) : `{${uniqueName(raw, params)}}`));
    })
    .join('/');
  return { path, shape: path.replace(/\{[^}]*\}/g, '{}'), params };
}

function uniqueName(raw: string, taken: string[]): string {
  const base = raw.trim().replace(/[^A-Za-z0-9_.-]/g, '_') || 'param';
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}${n}`;
  taken.push(name);
  return name;
}

function pathItem(group: PathGroup, usedIds: Set<string>): { item: Record<string, unknown>; anySecured: boolean } {
  const item: Record<string, unknown> = {};
  if (group.params.length > 0) item.parameters = group.params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  let anySecured = false;
  for (const method of OPERATION_METHODS) {
    const list = group.byMethod.get(method);
    if (!list) continue;
    const op = operation(merge(list), method, uniqueId(operationName(method, group.path), usedIds));
    anySecured ||= op.security !== undefined;
    item[method.toLowerCase()] = op;
  }
  const others = [...group.byMethod.keys()].filter((m) => !(OPERATION_METHODS as readonly string[]).includes(m)).sort(compareText);
  // CONNECT and OTHER cannot be operations in 3.1; their traffic is still worth showing.
  if (others.length > 0) item['x-vigil-other-methods'] = Object.fromEntries(others.map((m) => [m, observed(merge(group.byMethod.get(m)!))]));
  return { item, anySecured };
}

/** `GET /users/{id}/account` → `getUsersByIdAccount`: letters and digits only, so code generators take it as it is. */
export function operationName(method: string, path: string): string {
  const words = path.split(/\/|(\{[^}]*\})/).flatMap((part) => {
    if (!part) return [];
    const param = /^\{(.*)\}$/.exec(part);
    const ws = (param ? param[1]! : part).split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0).map((w) => w[0]!.toUpperCase() + w.slice(1));
    return param ? ['By', ...ws] : ws;
  });
  return `${method.toLowerCase()}${words.join('') || 'Root'}`;
}

/** Unique ignoring case, since some generators fold case when naming methods. */
function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let n = 2; used.has(id.toLowerCase()); n++) id = `${base}_${n}`;
  used.add(id.toLowerCase());
  return id;
}

/** The endpoints (routes and directions) that one operation stands for, counted together. */
interface Merged {
  routes: string[];
  directions: Set<string>;
  calls: number;
  firstSeen: number;
  lastSeen: number;
  statusCodes: Map<string, number>;
  signatures: Map<string, number>;
  contentTypes: Map<string, number>;
  authenticatedShare: number;
  anonymousServed: number;
}

function merge(list: readonly InventoryEndpoint[]): Merged {
  const m: Merged = { routes: [], directions: new Set(), calls: 0, firstSeen: Infinity, lastSeen: -Infinity, statusCodes: new Map(), signatures: new Map(), contentTypes: new Map(), authenticatedShare: 0, anonymousServed: 0 };
  let authenticated = 0;
  for (const e of list) {
    if (!m.routes.includes(e.route)) m.routes.push(e.route);
    m.directions.add(e.direction);
    m.calls += e.calls;
    m.firstSeen = Math.min(m.firstSeen, e.firstSeen);
    m.lastSeen = Math.max(m.lastSeen, e.lastSeen);
    m.anonymousServed += e.anonymousServed;
    authenticated += e.authenticatedShare * e.calls;
    for (const [code, n] of Object.entries(e.statusCodes)) m.statusCodes.set(code, (m.statusCodes.get(code) ?? 0) + n);
    for (const s of e.signatures) m.signatures.set(s.value, Math.min(s.firstSeen, m.signatures.get(s.value) ?? Infinity));
    for (const c of e.contentTypes) m.contentTypes.set(c.value, Math.min(c.firstSeen, m.contentTypes.get(c.value) ?? Infinity));
  }
  // Weighted by calls; endpoints with no calls in the days kept still have a share from before.
  m.authenticatedShare = m.calls > 0 ? authenticated / m.calls : Math.max(...list.map((e) => e.authenticatedShare));
  return m;
}

function operation(m: Merged, method: string, operationId: string): Record<string, unknown> {
  const op: Record<string, unknown> = { operationId };
  if (m.authenticatedShare >= 0.5) op.security = [{ [SECURITY_SCHEME]: [] }];
  const responses = responsesOf(m, method);
  // 3.1 lets an operation have no responses, and an empty Responses object is invalid.
  if (Object.keys(responses).length > 0) op.responses = responses;
  if (m.directions.has('outbound')) op['x-vigil-direction'] = m.directions.size > 1 ? 'mixed' : 'outbound';
  op['x-vigil-observed'] = observed(m);
  if (m.signatures.size > 0) {
    op['x-vigil-response-signatures'] = byFirstSeen(m.signatures).map(([signature, firstSeen]) => ({ signature, firstSeen: isoTime(firstSeen) }));
  }
  return op;
}

/**
 * Each exact status code seen (100–599 only), with the content types seen.
 * The inventory does not tie content types to codes, so each response lists
 * them all, except where HTTP sends no body (1xx, 204, 304, HEAD).
 */
function responsesOf(m: Merged, method: string): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  const codes = [...m.statusCodes].filter(([code, n]) => /^[1-5]\d\d$/.test(code) && n > 0).sort(([a], [b]) => compareText(a, b));
  const types = [...m.contentTypes].filter(([type]) => type.length > 0).sort(([a], [b]) => compareText(a, b));
  for (const [code, n] of codes) {
    const response: Record<string, unknown> = { description: `Seen ${n === 1 ? 'once' : `${grouped(n)} times`}` };
    const bodiless = method === 'HEAD' || code.startsWith('1') || code === '204' || code === '304';
    if (types.length > 0 && !bodiless) response.content = Object.fromEntries(types.map(([type, first]) => [type, { schema: {}, 'x-vigil-first-seen': isoTime(first) }]));
    responses[code] = response;
  }
  return responses;
}

function observed(m: Merged): Record<string, unknown> {
  return {
    routes: m.routes,
    calls: m.calls,
    firstSeen: isoTime(m.firstSeen),
    lastSeen: isoTime(m.lastSeen),
    authenticatedShare: Math.round(m.authenticatedShare * 10_000) / 10_000,
    anonymousServed: m.anonymousServed,
  };
}

function byFirstSeen(values: Map<string, number>): [string, number][] {
  return [...values].sort(([a, at], [b, bt]) => at - bt || compareText(a, b));
}

/** Undefined for a time that is not one (a damaged entry must not make the export throw). */
function isoTime(ms: number): string | undefined {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** 1234567 → `1,234,567`, the same on every host (no locale data involved). */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Code-unit order, the same on every host (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
