/**
 * A team's declared OpenAPI 3 spec, reduced to what vigil compares traffic
 * with: which operations exist, whether they are deprecated and whether
 * they ask for credentials. Endpoints seen in traffic but absent here are
 * shadow endpoints; deprecated ones still called are zombies.
 *
 * Path-level `parameters` and `$ref`s are not resolved: a path item that is
 * only a `$ref` declares no operations here.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BoundedMap } from '../lru.js';
import { OVERFLOW_ROUTE } from '../storage/keys.js';

export interface DeclaredOperation {
  /** Upper case. */
  method: string;
  /** As in the spec, after the path of the server url that applies (`https://x/api/v2` + `/users/{userId}` → `/api/v2/users/{userId}`). */
  path: string;
  deprecated: boolean;
  /** The operation's `security`, else the document's; `[]`, or any `{}` entry (credentials optional), means not secured. */
  secured: boolean;
}

export interface DeclaredSpec {
  title?: string;
  version?: string;
  operations: DeclaredOperation[];
}

/** The operation fields of a 3.0/3.1 path item. */
const SPEC_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Reads a spec file (JSON when it ends in `.json`, else YAML); throws an Error naming the file and what is wrong with it. */
export function loadDeclaredSpec(file: string): DeclaredSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`OpenAPI spec ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return parseDeclaredSpec(text, file);
}

/** `loadDeclaredSpec` for text in hand; `file` names it in errors and its extension picks the parser. */
export function parseDeclaredSpec(text: string, file = 'spec.yaml'): DeclaredSpec {
  const doc = parseText(text, file);
  const problem = (what: string): Error => new Error(`OpenAPI spec ${file}: ${what}`);
  if (!isRecord(doc)) throw problem('does not hold a mapping at its top level');
  const version = doc.openapi;
  if (typeof version !== 'string' || !/^3\.\d+/.test(version)) {
    throw problem(doc.swagger !== undefined ? `is Swagger ${String(doc.swagger)}, not OpenAPI 3 (convert it first)` : `is not OpenAPI 3 ("openapi" is ${version === undefined ? 'missing' : JSON.stringify(version)})`);
  }
  if (!isRecord(doc.paths)) throw problem('has no "paths" mapping');
  const operations = declaredOperations(doc, doc.paths);
  if (operations.length === 0) throw problem('declares no operations under "paths"');
  const info = isRecord(doc.info) ? doc.info : {};
  const spec: DeclaredSpec = { operations };
  if (typeof info.title === 'string') spec.title = info.title;
  if (typeof info.version === 'string') spec.version = info.version;
  return spec;
}

function parseText(text: string, file: string): unknown {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`OpenAPI spec ${file}: not valid JSON: ${withLine((err as Error).message, text)}`, { cause: err });
    }
  }
  try {
    return parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    // The yaml package's message starts with the reason and `at line L, column C`; the lines after it quote the source.
    throw new Error(`OpenAPI spec ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/** Node 20's JSON errors give a character position only; people look for a line. */
function withLine(message: string, text: string): string {
  const at = /at position (\d+)/.exec(message);
  if (!at || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return `${message} (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

function declaredOperations(doc: Record<string, unknown>, paths: Record<string, unknown>): DeclaredOperation[] {
  const operations: DeclaredOperation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/') || !isRecord(item)) continue; // `x-` extensions
    for (const method of SPEC_METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      // The nearest `servers` applies: the operation's, the path's, then the document's.
      const prefix = serverPath(op.servers) ?? serverPath(item.servers) ?? serverPath(doc.servers) ?? '';
      operations.push({
        method: method.toUpperCase(),
        path: `${prefix}${path}`,
        deprecated: op.deprecated === true,
        secured: isSecured(Array.isArray(op.security) ? op.security : doc.security),
      });
    }
  }
  return operations;
}

/**
 * The path of the first server's url, without a trailing slash (`''` for
 * none), its variables replaced by their defaults; undefined when there is
 * no server to apply.
 */
export function serverPath(servers: unknown): string | undefined {
  const server: unknown = Array.isArray(servers) ? servers[0] : undefined;
  if (!isRecord(server) || typeof server.url !== 'string') return undefined;
  const variables = isRecord(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^}]*)\}/g, (m, name: string) => {
    const v = variables[name];
    return isRecord(v) && typeof v.default === 'string' ? v.default : m;
  });
  const path = url
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    .replace(/^\/\/[^/]*/, '')
    .replace(/[?#].*$/, '')
    .replace(/^\.(?=\/|$)/, '')
    .replace(/\/+$/, '');
  return path === '' || path.startsWith('/') ? path : `/${path}`;
}

/** Secured only when every alternative names a scheme: an `{}` alternative lets anonymous calls in (credentials optional). */
function isSecured(security: unknown): boolean {
  return Array.isArray(security) && security.length > 0 && security.every((r) => isRecord(r) && Object.keys(r).length > 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/* ---------------------------------------------------------------- matching */

/** A spec path segment: literal text, a whole `{name}`, or literal text with templates in it (`{name}.{ext}`). */
type Segment = { kind: 'literal'; text: string } | { kind: 'param' } | { kind: 'pattern'; re: RegExp };

interface Candidate {
  operation: DeclaredOperation;
  segments: Segment[];
}

/** Candidates by `METHOD segmentCount`, most specific first. */
type SpecIndex = Map<string, Candidate[]>;

/**
 * The declared operation a vigil route stands for, or undefined. Builds the
 * index each call: for one-off lookups; per-batch code uses `createSpecMatcher`.
 */
export function matchDeclared(spec: DeclaredSpec, method: string, route: string): DeclaredOperation | undefined {
  return findDeclared(indexSpec(spec), method, route);
}

/**
 * `matchDeclared` over an index built once (operations by method and number
 * of segments), remembering the last `cacheSize` answers, since the same
 * routes come back batch after batch.
 */
export function createSpecMatcher(spec: DeclaredSpec, cacheSize = 10_000): (method: string, route: string) => DeclaredOperation | undefined {
  const index = indexSpec(spec);
  const cache = new BoundedMap<string, DeclaredOperation | null>(cacheSize);
  return (method, route) => {
    const key = `${method} ${route}`;
    const known = cache.get(key);
    if (known !== undefined) return known ?? undefined;
    // A server answers HEAD wherever it answers GET (RFC 9110 §9.3.2): a declared GET covers it.
    const found = findDeclared(index, method, route) ?? (method.toUpperCase() === 'HEAD' ? findDeclared(index, 'GET', route) : undefined);
    cache.set(key, found ?? null);
    return found;
  };
}

function findDeclared(index: SpecIndex, method: string, route: string): DeclaredOperation | undefined {
  if (route === OVERFLOW_ROUTE) return undefined; // many routes counted together: it is no endpoint
  const segments = pathSegments(route);
  const candidates = index.get(`${method.toUpperCase()} ${segments.length}`);
  if (!candidates) return undefined;
  for (const c of candidates) if (c.segments.every((s, i) => segmentMatches(s, segments[i]!))) return c.operation;
  return undefined;
}

function indexSpec(spec: DeclaredSpec): SpecIndex {
  const index: SpecIndex = new Map();
  for (const operation of spec.operations) {
    const segments = pathSegments(operation.path).map(specSegment);
    const key = `${operation.method.toUpperCase()} ${segments.length}`;
    const list = index.get(key);
    if (list) list.push({ operation, segments });
    else index.set(key, [{ operation, segments }]);
  }
  // As OpenAPI resolves `/users/me` against `/users/{id}`: a literal segment beats a template, the leftmost difference deciding (the sort is stable: ties keep spec order).
  for (const list of index.values()) list.sort((a, b) => specificity(a.segments, b.segments));
  return index;
}

function specificity(a: Segment[], b: Segment[]): number {
  const rank = { literal: 0, pattern: 1, param: 2 } as const;
  for (let i = 0; i < a.length; i++) {
    const d = rank[a[i]!.kind] - rank[b[i]!.kind];
    if (d !== 0) return d;
  }
  return 0;
}

/** Segments after the leading slash, trailing slashes ignored: `/a/b/` → `['a', 'b']`, `/` → `[]`. */
function pathSegments(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function specSegment(text: string): Segment {
  if (/^\{[^{}]*\}$/.test(text)) return { kind: 'param' };
  if (!/\{[^{}]*\}/.test(text)) return { kind: 'literal', text };
  const source = text
    .split(/\{[^{}]*\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return { kind: 'pattern', re: new RegExp(`^${source}$`) };
}

/** A vigil route segment that stands for a parameter: `{id}`, or a client-given `:id` or `<id>`. */
function isRouteParam(segment: string): boolean {
  return /^\{[^}]*\}$/.test(segment) || /^:[A-Za-z_]\w*$/.test(segment) || /^<[^>]+>$/.test(segment);
}

function segmentMatches(spec: Segment, vigil: string): boolean {
  if (spec.kind === 'param') return vigil.length > 0;
  // A vigil parameter stood for values the spec may template around (`{id}` vs `report-{id}.pdf`), never for a literal.
  if (isRouteParam(vigil)) return spec.kind === 'pattern';
  return spec.kind === 'literal' ? spec.text === vigil : spec.re.test(vigil);
}
