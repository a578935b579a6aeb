import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseConfigText } from '@vigil/config';
import { directions, parseRfc3339, type ApiTransaction, type Direction } from '@vigil/contracts';
import { ConfigError } from '@vigil/errors';
import { LIMITS, bound, countOf, isMethod, parseClfTime, parseIsoTime, parseJsonObject, pick, sample, splitTarget, statusOf } from '../text.js';
import type { EventSink, IngestOptions, LineParser, LineRef, LogFormat, OptionalField } from '../types.js';

/** The optional text fields a mapping may fill, with their bounds. */
const OPTIONAL_TEXT = [
  ['route', LIMITS.route],
  ['clientIp', LIMITS.clientIp],
  ['principal', LIMITS.principal],
  ['clientId', LIMITS.clientId],
  ['userAgent', LIMITS.userAgent],
  ['contentType', LIMITS.contentType],
  ['responseSignature', 256],
] as const satisfies readonly (readonly [keyof ApiTransaction, number])[];

/**
 * `--map FILE`: any JSON log (one object a line), its fields mapped to ApiTransaction v1 by a YAML or JSON
 * file (docs/ingest.md):
 *
 *   fields:
 *     timestamp: { from: "@timestamp" }                 # ISO 8601 unless `as:` says epoch-s, epoch-ms, epoch-us or clf
 *     method: http.request.method
 *     path: url.original                                # a path or a URL; the query string is dropped
 *     status: http.response.status_code
 *     latencyMs: { from: event.duration, unit: ns }      # s, ms (default), us or ns
 *     principal: [user.id, user.name]                    # the first present
 *     api: { value: shop }                               # a constant
 *     tags: { region: cloud.region }
 *
 * A source is a key (a key with dots is tried whole, then as a path), a list of keys (the first present),
 * or `{ from, as | unit }`, or `{ value }`. The file is checked once, at start: every problem is reported
 * with its key.
 */

const sourcePath = z.string().min(1, 'must not be empty');
const fromSpec = z.union([sourcePath, z.array(sourcePath).min(1, 'must list at least one key')]);
const timeUnits = ['iso8601', 'epoch-s', 'epoch-ms', 'epoch-us', 'clf'] as const;
const durationUnits = ['s', 'ms', 'us', 'ns'] as const;

/** A key or a list of keys is short for `{ from: … }`: every source is read as an object, so a problem names its key. */
const asObject = (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? { from: v } : v);
const oneOf = (values: readonly string[]) => ({ errorMap: () => ({ message: `expected one of ${values.join(', ')}` }) });
const notAnObject = { invalid_type_error: 'expected a key, a list of keys, { from: key } or { value: constant }' };
const exactlyOne = (o: { from?: unknown; value?: unknown }) => (o.from === undefined) !== (o.value === undefined);
const exactlyOneMessage = { message: 'give either from (a key or keys) or value (a constant)' };

const plainSource = z.preprocess(asObject, z.object({ from: fromSpec.optional(), value: z.union([z.string(), z.number()], { errorMap: () => ({ message: 'expected a string or a number' }) }).optional() }, notAnObject).strict().refine(exactlyOne, exactlyOneMessage));
const timeSource = z.preprocess(asObject, z.object({ from: fromSpec, as: z.enum(timeUnits, oneOf(timeUnits)).optional() }, notAnObject).strict());
const durationSource = z.preprocess(asObject, z.object({ from: fromSpec, unit: z.enum(durationUnits, oneOf(durationUnits)).optional() }, notAnObject).strict());

const mapSchema = z
  .object({
    fields: z
      .object({
        timestamp: timeSource,
        method: plainSource,
        path: plainSource,
        status: plainSource,
        latencyMs: durationSource.optional(),
        id: plainSource.optional(),
        api: plainSource.optional(),
        direction: plainSource.optional(),
        route: plainSource.optional(),
        clientIp: plainSource.optional(),
        principal: plainSource.optional(),
        clientId: plainSource.optional(),
        userAgent: plainSource.optional(),
        contentType: plainSource.optional(),
        requestBytes: plainSource.optional(),
        responseBytes: plainSource.optional(),
        rateLimitLimit: plainSource.optional(),
        rateLimitRemaining: plainSource.optional(),
        responseSignature: plainSource.optional(),
        tags: z.record(z.string().min(1), plainSource).refine((t) => Object.keys(t).length <= 64, 'at most 64 tags').optional(),
      })
      .strict(),
  })
  .strict();

export type MapSpec = z.infer<typeof mapSchema>;

/** Checks a mapping document; every problem with its key (`fields.latencyMs.unit: expected one of s, ms, us, ns`). */
export function parseMapSpec(doc: unknown, source: string): MapSpec {
  const parsed = mapSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') {
      const at = i.path.join('.');
      return i.keys.map((k) => ({
        source: `file ${source} at ${at ? `${at}.` : ''}${k}`,
        path: `${at ? `${at}.` : ''}${k}`,
        message: at === 'fields' ? `not an ApiTransaction field (one of ${Object.keys(mapSchema.shape.fields.shape).join(', ')})` : 'unknown key',
      }));
    }
    const path = i.path.join('.');
    const message = i.message === 'Required' ? (path === 'fields' ? 'required: a mapping of ApiTransaction fields to keys of the log' : `required: where the ${String(i.path[i.path.length - 1])} of each line is`) : i.message;
    return [{ source: `file ${source} at ${path}`, path, message }];
  });
  throw new ConfigError(issues);
}

/** Reads and checks `--map FILE` (YAML or JSON). */
export function loadMapSpec(file: string): MapSpec {
  return parseMapSpec(parseConfigText(readFileSync(file, 'utf8'), file), file);
}

type Source = { from?: string | string[]; value?: string | number };
type Getter = (o: Record<string, unknown>) => unknown;

function getter(spec: Source): Getter {
  if (spec.value !== undefined) {
    const v = spec.value;
    return () => v;
  }
  const from = spec.from!;
  if (typeof from === 'string') return (o) => pick(o, from);
  return (o) => {
    for (const key of from) {
      const v = pick(o, key);
      if (v !== undefined && v !== null && v !== '' && v !== '-') return v;
    }
    return undefined;
  };
}

const text = (v: unknown, max: number): string | undefined => (typeof v === 'number' ? String(v) : typeof v === 'string' && v.length > 0 && v !== '-' ? bound(v, max) : undefined);

function timeReader(spec: z.infer<typeof timeSource>): (v: unknown) => number | undefined {
  const as = spec.as;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.length > 0 ? Number(v) : NaN);
  switch (as) {
    case 'epoch-s':
      return (v) => (Number.isFinite(num(v)) ? Math.round(num(v) * 1000) : undefined);
    case 'epoch-ms':
      return (v) => (Number.isFinite(num(v)) ? Math.round(num(v)) : undefined);
    case 'epoch-us':
      return (v) => (Number.isFinite(num(v)) ? Math.round(num(v) / 1000) : undefined);
    case 'clf':
      return (v) => (typeof v === 'string' ? parseClfTime(v.startsWith('[') ? v.slice(1, -1) : v) : undefined);
    default:
      return (v) => (typeof v === 'string' ? parseIsoTime(v) ?? parseRfc3339(v) : typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  }
}

const PER_MS: Record<(typeof durationUnits)[number], number> = { s: 1000, ms: 1, us: 0.001, ns: 0.000001 };

export function mappedFormat(spec: MapSpec): LogFormat {
  const f = spec.fields;
  const lacks = (['latencyMs', 'principal', 'clientIp', 'userAgent', 'requestBytes', 'responseBytes', 'contentType', 'clientId', 'route', 'responseSignature', 'rateLimitRemaining'] as const).filter((k) => f[k] === undefined) as OptionalField[];
  return {
    name: 'map',
    summary: 'a JSON log whose fields --map FILE maps',
    lacks,
    create: (options) => new MappedParser(spec, options),
  };
}

class MappedParser implements LineParser {
  private readonly get: Partial<Record<keyof MapSpec['fields'], Getter>> = {};
  private readonly tags: [string, Getter][];
  private readonly time: (v: unknown) => number | undefined;
  private readonly latencyScale: number;

  constructor(
    private readonly spec: MapSpec,
    private readonly options: IngestOptions,
  ) {
    const f = spec.fields;
    for (const [k, s] of Object.entries(f)) if (k !== 'tags' && s !== undefined) this.get[k as keyof MapSpec['fields']] = getter(s as Source);
    this.tags = Object.entries(f.tags ?? {}).map(([k, s]) => [k, getter(s)]);
    this.time = timeReader(f.timestamp);
    this.latencyScale = PER_MS[f.latencyMs?.unit ?? 'ms'];
  }

  parse(line: string, ref: LineRef, out: EventSink): void {
    const o = parseJsonObject(line);
    if (typeof o === 'string') return out.reject(o);
    const g = this.get;
    const rawTime = g.timestamp!(o);
    const timestamp = this.time(rawTime);
    if (timestamp === undefined || timestamp < 0) return out.reject(`timestamp ${sample(String(rawTime ?? 'missing'))} is not a time of the kind the map says`);
    const rawMethod = g.method!(o);
    if (typeof rawMethod !== 'string' || !isMethod(rawMethod)) return out.reject(`method ${sample(String(rawMethod ?? 'missing'))} is not an HTTP method`);
    const target = text(g.path!(o), 65_536);
    if (target === undefined) return out.reject('no path');
    const rawStatus = g.status!(o);
    const status = statusOf(rawStatus);
    if (status === undefined) return out.reject(`status ${sample(String(rawStatus ?? 'missing'))} is not an HTTP status (100-599)`);
    const { path, host } = splitTarget(target);
    const rawLatency = g.latencyMs?.(o);
    const latency = typeof rawLatency === 'number' ? rawLatency : typeof rawLatency === 'string' && rawLatency.length > 0 ? Number(rawLatency) : NaN;
    const latencyKnown = Number.isFinite(latency) && latency >= 0;
    const dir = text(g.direction?.(o), 16);
    const e: ApiTransaction = {
      id: text(g.id?.(o), LIMITS.id) ?? ref.id,
      timestamp,
      direction: dir !== undefined && (directions as readonly string[]).includes(dir) ? (dir as Direction) : this.options.direction,
      api: this.options.api ?? text(g.api?.(o), LIMITS.api) ?? host ?? this.options.defaultApi,
      method: rawMethod.toUpperCase(),
      path,
      status,
      latencyMs: latencyKnown ? latency * this.latencyScale : 0,
    };
    for (const [k, max] of OPTIONAL_TEXT) {
      const v = text(g[k]?.(o), max);
      if (v !== undefined) e[k] = v;
    }
    for (const k of ['requestBytes', 'responseBytes', 'rateLimitLimit', 'rateLimitRemaining'] as const) {
      const v = countOf(g[k]?.(o));
      if (v !== undefined) e[k] = v;
    }
    if (this.tags.length > 0) {
      const tags: Record<string, string> = {};
      for (const [k, get] of this.tags) {
        const v = text(get(o), 1024);
        if (v !== undefined) tags[k] = v;
      }
      if (Object.keys(tags).length > 0) e.tags = tags;
    }
    out.event(e, latencyKnown);
  }
}
