import type { DeclaredStatus } from '../types.js';
import { createSpecMatcher, loadDeclaredSpec, type DeclaredOperation } from './spec.js';

type Matcher = (method: string, route: string) => DeclaredOperation | undefined;

/** Per api, its current spec and the earlier versions it replaced (what a zombie endpoint is absent from). */
export type DeclaredSpecs = ReadonlyMap<string, { current: Matcher; previous: readonly Matcher[] }>;

/** `detectors.inventory.specs`: per api, the file of its current OpenAPI spec, or `{ current, previous: [files] }`. */
export type DeclaredSpecFiles = Readonly<Record<string, string | { current: string; previous?: readonly string[] }>>;

/** Loads every declared spec at start; a file that is not a usable OpenAPI 3 document stops the start with its name and the problem. */
export function loadDeclaredSpecs(files: DeclaredSpecFiles): DeclaredSpecs {
  const specs = new Map<string, { current: Matcher; previous: Matcher[] }>();
  for (const [api, entry] of Object.entries(files)) {
    const { current, previous = [] } = typeof entry === 'string' ? { current: entry } : entry;
    specs.set(api, { current: createSpecMatcher(loadDeclaredSpec(current)), previous: previous.map((f) => createSpecMatcher(loadDeclaredSpec(f))) });
  }
  return specs;
}

/** What the api's declared spec says of an endpoint; undefined when the api has none. */
export function declaredStatus(specs: DeclaredSpecs, api: string, method: string, route: string): DeclaredStatus | undefined {
  const spec = specs.get(api);
  if (!spec) return undefined;
  const op = spec.current(method, route);
  if (op) return { inCurrent: true, deprecated: op.deprecated, secured: op.secured, dropped: false };
  return { inCurrent: false, deprecated: false, secured: false, dropped: spec.previous.some((m) => m(method, route) !== undefined) };
}
