import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '@vigil/errors';

/**
 * Configuration = an optional YAML or JSON file, overlaid by environment
 * variables, validated once by a zod schema, then deep-frozen. Every problem
 * is reported at once, each naming the variable or file key at fault.
 */

export type EnvKind = 'string' | 'number' | 'boolean' | 'list';

export interface EnvBinding {
  /** Environment variable, e.g. KAFKA_BROKERS. */
  env: string;
  /** Dotted path inside the config object, e.g. kafka.brokers. */
  path: string;
  kind?: EnvKind;
  /** Also read from the file named by `${env}_FILE` (Docker / Kubernetes secrets). The value never appears in errors. */
  secret?: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  env: Env;
  bindings: readonly EnvBinding[];
  /** Path of a YAML (.yaml, .yml) or JSON (.json) file; optional. */
  file?: string | undefined;
  /** The variable that names the file, for errors (default VIGIL_CONFIG). */
  fileVariable?: string;
}

export function loadConfig<S extends z.ZodTypeAny>(schema: S, options: LoadConfigOptions): DeepReadonly<z.output<S>> {
  const issues: ConfigIssue[] = [];
  const origin = new Map<string, string>();
  const fileVariable = options.fileVariable ?? 'VIGIL_CONFIG';
  let raw: Record<string, unknown> = {};

  if (options.file) {
    try {
      raw = parseConfigText(readFileSync(options.file, 'utf8'), options.file);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError([{ source: `${fileVariable} (file ${options.file})`, path: '', message: `cannot read the file: ${code}` }], { cause: err });
    }
  }

  for (const binding of options.bindings) {
    const fromFile = binding.secret ? options.env[`${binding.env}_FILE`] : undefined;
    let value = options.env[binding.env];
    let source = binding.env;
    if ((value === undefined || value === '') && fromFile) {
      source = `${binding.env}_FILE`;
      try {
        value = readFileSync(fromFile, 'utf8').trim();
      } catch (err) {
        issues.push({ source, path: binding.path, message: `cannot read the secret file ${fromFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        continue;
      }
    }
    if (value === undefined || value === '') continue;
    setPath(raw, binding.path, coerce(value, binding.kind ?? 'string'));
    origin.set(binding.path, binding.secret ? `${source} (secret)` : source);
  }

  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.join('.');
      const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
      issues.push({ source: sourceOf(path, { origin, file: options.file, fileVariable, bindings: options.bindings, missing }), path, message: missing ? 'is required' : issue.message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(result.data) as DeepReadonly<z.output<S>>;
}

/** Parses YAML or JSON config text; the file name's extension picks the parser (YAML when unknown). */
export function parseConfigText(text: string, fileName = 'config.yaml'): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = extname(fileName).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError([{ source: `file ${fileName}`, path: '', message: `not valid ${extname(fileName) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` }], { cause: err });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([{ source: `file ${fileName}`, path: '', message: 'must hold a mapping of keys at its top level' }]);
  }
  return parsed as Record<string, unknown>;
}

interface SourceContext {
  origin: Map<string, string>;
  file: string | undefined;
  fileVariable: string;
  bindings: readonly EnvBinding[];
  /** The value is absent: every way of setting it is named. */
  missing: boolean;
}

/**
 * Where a bad value came from, or for a missing one every way to set it:
 * `NOTIFIER_API_TOKEN or NOTIFIER_API_TOKEN_FILE (or api.token in the VIGIL_CONFIG file)`.
 */
function sourceOf(path: string, c: SourceContext): string {
  for (const [p, src] of c.origin) if (path === p || path.startsWith(`${p}.`)) return src;
  const key = c.file ? `file ${c.file} at ${path || '(top level)'}` : `${path || 'the top level'} in the ${c.fileVariable} file`;
  if (!c.missing) return key;
  const variables = c.bindings.filter((b) => b.path === path || b.path.startsWith(`${path}.`)).flatMap((b) => (b.secret ? [b.env, `${b.env}_FILE`] : [b.env]));
  return variables.length > 0 ? `${variables.join(' or ')} (or ${key})` : key;
}

function coerce(value: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    case 'boolean': {
      const v = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      return value;
    }
    case 'list':
      return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    default:
      return value;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends Function
    ? T
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The environment bindings every vigil process shares (see docs/configuration.md). */
export const commonBindings: readonly EnvBinding[] = Object.freeze([
  { env: 'KAFKA_BROKERS', path: 'kafka.brokers', kind: 'list' },
  { env: 'KAFKA_CLIENT_ID', path: 'kafka.clientId' },
  { env: 'KAFKA_SASL_MECHANISM', path: 'kafka.sasl.mechanism' },
  { env: 'KAFKA_SASL_USERNAME', path: 'kafka.sasl.username' },
  { env: 'KAFKA_SASL_PASSWORD', path: 'kafka.sasl.password', secret: true },
  { env: 'KAFKA_SSL', path: 'kafka.ssl', kind: 'boolean' },
  { env: 'SCHEMA_REGISTRY_URL', path: 'schemaRegistry.url' },
  { env: 'SCHEMA_REGISTRY_USERNAME', path: 'schemaRegistry.username' },
  { env: 'SCHEMA_REGISTRY_PASSWORD', path: 'schemaRegistry.password', secret: true },
  { env: 'REDIS_URL', path: 'redis.url', secret: true },
  { env: 'REDIS_CLUSTER_NODES', path: 'redis.clusterNodes', kind: 'list' },
  { env: 'REDIS_KEY_PREFIX', path: 'redis.keyPrefix' },
  { env: 'LOG_LEVEL', path: 'log.level' },
  { env: 'HTTP_PORT', path: 'http.port', kind: 'number' },
  { env: 'HTTP_HOST', path: 'http.host' },
]);

export { commonSchemas, consumerFields, topicCreationFields } from './common.js';
