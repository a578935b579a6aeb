import { isIP } from 'node:net';
import { EcsFlat, EcsVersion } from '@elastic/ecs';

/** Test support: checks a document against the ECS field reference of @elastic/ecs (EcsFlat, generated from ecs_flat.yml). */

interface AllowedValue {
  name: string;
  expected_event_types?: string[];
}
interface FieldDef {
  type: string;
  normalize?: string[];
  ignore_above?: number;
  allowed_values?: AllowedValue[];
}

export const ecsFields = EcsFlat as unknown as Readonly<Record<string, FieldDef>>;
export const ecsReferenceVersion: string = EcsVersion;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Dotted field names and their values: objects are walked, scalars and arrays are leaves. */
export function leaves(doc: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(doc).flatMap(([k, v]): [string, unknown][] => (isRecord(v) ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]));
}

const STRINGS = new Set(['keyword', 'constant_keyword', 'wildcard', 'match_only_text', 'text']);

function compatible(value: unknown, type: string): boolean {
  if (STRINGS.has(type)) return typeof value === 'string';
  if (type === 'long' || type === 'integer') return Number.isSafeInteger(value);
  if (type === 'float' || type === 'double' || type === 'scaled_float') return typeof value === 'number' && Number.isFinite(value);
  if (type === 'date') return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value));
  if (type === 'ip') return typeof value === 'string' && isIP(value) !== 0;
  if (type === 'boolean') return typeof value === 'boolean';
  return false;
}

function checkField(name: string, value: unknown, def: FieldDef, problems: string[]): void {
  const values = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && !def.normalize?.includes('array')) problems.push(`${name}: an array, which ECS does not make it`);
  for (const v of values) {
    if (!compatible(v, def.type)) problems.push(`${name}: ${JSON.stringify(v)?.slice(0, 80)} is not a ${def.type}`);
    if (def.ignore_above !== undefined && typeof v === 'string' && v.length > def.ignore_above) problems.push(`${name}: longer than ignore_above ${def.ignore_above}`);
    if (def.allowed_values && !def.allowed_values.some((a) => a.name === v)) problems.push(`${name}: ${JSON.stringify(v)} is not an allowed value`);
  }
}

/** Each event.type must be one that some event.category of the document expects. */
function checkCategorization(fields: Map<string, unknown>, problems: string[]): void {
  const categories = ([] as unknown[]).concat(fields.get('event.category') ?? []);
  const expected = new Set(ecsFields['event.category']!.allowed_values!.filter((a) => categories.includes(a.name)).flatMap((a) => a.expected_event_types ?? []));
  for (const t of ([] as unknown[]).concat(fields.get('event.type') ?? [])) {
    if (!expected.has(t as string)) problems.push(`event.type: ${JSON.stringify(t)} is not expected by event.category ${JSON.stringify(categories)}`);
  }
}

/** Every way `doc` departs from ECS, as `field: problem` lines; fields under `custom.` are the producer's own and only must not be ECS's. */
export function ecsProblems(doc: Record<string, unknown>, custom = 'vigil'): string[] {
  const problems: string[] = [];
  if (Object.keys(ecsFields).some((f) => f.startsWith(`${custom}.`))) problems.push(`${custom}: an ECS field set, not free for custom fields`);
  const fields = new Map(leaves(doc));
  for (const required of ['@timestamp', 'ecs.version']) if (!fields.has(required)) problems.push(`${required}: required`);
  for (const [name, value] of fields) {
    if (name.startsWith(`${custom}.`)) continue;
    const def = ecsFields[name];
    if (def === undefined) problems.push(`${name}: not an ECS field`);
    else checkField(name, value, def, problems);
  }
  checkCategorization(fields, problems);
  return problems;
}
