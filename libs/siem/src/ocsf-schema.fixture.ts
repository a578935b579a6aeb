import { readFileSync } from 'node:fs';

/** Test support: checks an event against OCSF 1.7.0's class 2004 as compiled in fixtures/ (see fixtures/README.md). */

interface AttributeDef {
  requirement: 'required' | 'recommended' | 'optional';
  type: string;
  object_type?: string;
  is_array?: boolean;
  enum?: Record<string, string>;
  sibling?: string;
  profile?: string;
  deprecated?: boolean;
}
interface RecordDef {
  attributes: Record<string, AttributeDef>;
  constraints?: { at_least_one?: string[]; just_one?: string[] };
}
interface TypeDef {
  type?: string;
  max_len?: number;
  regex?: string;
  range?: [number, number];
}
export interface OcsfFixture {
  version: string;
  class: { name: string; caption: string; uid: number; category_uid: number; category_name: string };
  types: Record<string, TypeDef>;
  objects: Record<string, RecordDef>;
}

export const ocsfSchema = JSON.parse(readFileSync(new URL('../fixtures/ocsf-1.7.0-detection_finding.json', import.meta.url), 'utf8')) as OcsfFixture;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The scalar type a type reduces to (ip_t → string_t, timestamp_t → long_t), with every constraint met on the way. */
function typeChain(name: string): TypeDef[] {
  const out: TypeDef[] = [];
  for (let t: string | undefined = name; t !== undefined; t = ocsfSchema.types[t]?.type) out.push({ ...ocsfSchema.types[t], type: t });
  return out;
}

function checkScalar(value: unknown, type: string, path: string, problems: string[]): void {
  const chain = typeChain(type);
  const base = chain[chain.length - 1]!.type;
  const ok =
    base === 'string_t' ? typeof value === 'string'
    : base === 'integer_t' || base === 'long_t' ? Number.isSafeInteger(value)
    : base === 'float_t' ? typeof value === 'number' && Number.isFinite(value)
    : base === 'boolean_t' ? typeof value === 'boolean'
    : base === 'json_t' ? value !== undefined
    : false;
  if (!ok) return void problems.push(`${path}: ${JSON.stringify(value)} is not a ${type}`);
  for (const t of chain) {
    if (t.max_len !== undefined && typeof value === 'string' && value.length > t.max_len) problems.push(`${path}: longer than ${t.type}'s ${t.max_len}`);
    if (t.regex !== undefined && typeof value === 'string' && !new RegExp(t.regex).test(value)) problems.push(`${path}: ${JSON.stringify(value)} does not match ${t.type}`);
    if (t.range !== undefined && typeof value === 'number' && (value < t.range[0] || value > t.range[1])) problems.push(`${path}: out of ${t.type}'s range`);
  }
}

function checkValue(value: unknown, def: AttributeDef, path: string, problems: string[]): void {
  if (def.type !== 'object_t') return checkScalar(value, def.type, path, problems);
  if (!isRecord(value)) return void problems.push(`${path}: not an object`);
  if (def.object_type !== 'object') checkRecord(value, def.object_type!, path, problems);
}

function checkAttribute(record: Record<string, unknown>, name: string, def: AttributeDef, path: string, problems: string[]): void {
  const value = record[name];
  if (def.profile !== undefined) problems.push(`${path}: needs the ${def.profile} profile`);
  if (def.deprecated) problems.push(`${path}: deprecated`);
  if (def.is_array) {
    if (!Array.isArray(value)) return void problems.push(`${path}: not an array`);
    value.forEach((v, i) => checkValue(v, def, `${path}[${i}]`, problems));
  } else checkValue(value, def, path, problems);
  if (def.enum === undefined) return;
  const caption = def.enum[String(value)];
  if (caption === undefined) return void problems.push(`${path}: ${JSON.stringify(value)} is not one of ${Object.keys(def.enum).join(', ')}`);
  // An id other than Other names its caption in the sibling, when the sibling is given.
  const sibling = def.sibling === undefined ? undefined : record[def.sibling];
  if (sibling !== undefined && String(value) !== '99' && sibling !== caption) problems.push(`${path}: ${def.sibling} is ${JSON.stringify(sibling)}, not ${JSON.stringify(caption)}`);
}

function checkRecord(record: Record<string, unknown>, name: string, path: string, problems: string[]): void {
  const def = ocsfSchema.objects[name];
  if (def === undefined) return void problems.push(`${path || '.'}: object ${name} is not in the fixture`);
  for (const [attr, a] of Object.entries(def.attributes)) {
    if (a.requirement === 'required' && (record[attr] === undefined || record[attr] === null)) problems.push(`${path}${path ? '.' : ''}${attr}: required by ${name}`);
  }
  for (const [attr, value] of Object.entries(record)) {
    const a = def.attributes[attr];
    const at = `${path}${path ? '.' : ''}${attr}`;
    if (a === undefined) problems.push(`${at}: not an attribute of ${name}`);
    else if (value !== undefined) checkAttribute(record, attr, a, at, problems);
  }
  const present = (attrs: string[] | undefined) => (attrs ?? []).filter((a) => record[a] !== undefined && record[a] !== null).length;
  if (def.constraints?.at_least_one && present(def.constraints.at_least_one) === 0) problems.push(`${path || '.'}: ${name} needs one of ${def.constraints.at_least_one.join(', ')}`);
  if (def.constraints?.just_one && present(def.constraints.just_one) !== 1) problems.push(`${path || '.'}: ${name} needs exactly one of ${def.constraints.just_one.join(', ')}`);
}

/** Every way `event` departs from OCSF's Detection Finding, as `path: problem` lines; none when it conforms. */
export function ocsfProblems(event: unknown): string[] {
  if (!isRecord(event)) return ['.: not an object'];
  const problems: string[] = [];
  checkRecord(event, ocsfSchema.class.name, '', problems);
  if (event.type_uid !== Number(event.class_uid) * 100 + Number(event.activity_id)) problems.push('type_uid: not class_uid * 100 + activity_id');
  return problems;
}
