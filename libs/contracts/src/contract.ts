import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { z } from 'zod';
import { DecodeError } from '@vigil/errors';
import { apiTransactionSchema, type ApiTransaction } from './transaction.js';
import { findingSchema, type Finding } from './finding.js';
import { incidentSchema, type Incident } from './incident.js';
import { formatRfc3339, parseRfc3339 } from './timestamp.js';
import { fastValidateTransaction } from './fast-validate.js';

/**
 * A contract ties one message type to its three forms: the zod schema (what
 * vigil enforces), the Avro schema (schemas/avro) and the JSON Schema
 * (schemas/json). The forms are kept in agreement by contracts.test.ts.
 */
export interface Contract<T> {
  readonly name: 'ApiTransaction' | 'Finding' | 'Incident';
  readonly version: 1;
  readonly zod: z.ZodType<T, z.ZodTypeDef, unknown>;
  readonly avscFile: string;
  readonly jsonSchemaFile: string;
  /** An optional hand-written check with the zod schema's exact verdicts, for the hot path (undefined = let zod say why). */
  readonly fast?: (value: unknown) => T | undefined;
}

export const schemasDir = new URL('../../../schemas/', import.meta.url);

export const transactionContract: Contract<ApiTransaction> = Object.freeze({
  name: 'ApiTransaction',
  version: 1,
  zod: apiTransactionSchema,
  fast: fastValidateTransaction,
  avscFile: 'avro/api-transaction.v1.avsc',
  jsonSchemaFile: 'json/api-transaction.v1.schema.json',
});

export const findingContract: Contract<Finding> = Object.freeze({
  name: 'Finding',
  version: 1,
  zod: findingSchema,
  avscFile: 'avro/finding.v1.avsc',
  jsonSchemaFile: 'json/finding.v1.schema.json',
});

export const incidentContract: Contract<Incident> = Object.freeze({
  name: 'Incident',
  version: 1,
  zod: incidentSchema,
  avscFile: 'avro/incident.v1.avsc',
  jsonSchemaFile: 'json/incident.v1.schema.json',
});

export const allContracts = [transactionContract, findingContract, incidentContract] as const;

/** What vigil derives once from a contract's Avro schema. */
export interface AvroForm {
  /** The schema text, as registered in the schema registry. */
  readonly text: string;
  readonly type: avro.Type;
  readonly fieldNames: readonly string[];
  /** Top-level fields whose Avro type is timestamp-millis (JSON carries them as RFC 3339). */
  readonly timestampFields: ReadonlySet<string>;
}

const avroForms = new Map<string, AvroForm>();

export function avroForm(contract: Contract<unknown>): AvroForm {
  let form = avroForms.get(contract.name);
  if (!form) {
    const text = readFileSync(new URL(contract.avscFile, schemasDir), 'utf8');
    const parsed = JSON.parse(text) as { fields: { name: string; type: unknown }[] };
    const type = avro.Type.forSchema(parsed as avro.Schema);
    const timestampFields = new Set(
      parsed.fields.filter((f) => isTimestampMillis(f.type)).map((f) => f.name),
    );
    form = Object.freeze({ text: JSON.stringify(parsed), type, fieldNames: parsed.fields.map((f) => f.name), timestampFields });
    avroForms.set(contract.name, form);
  }
  return form;
}

function isTimestampMillis(t: unknown): boolean {
  if (Array.isArray(t)) return t.some(isTimestampMillis);
  return typeof t === 'object' && t !== null && (t as { logicalType?: string }).logicalType === 'timestamp-millis';
}

export function loadJsonSchema(contract: Contract<unknown>): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(contract.jsonSchemaFile, schemasDir), 'utf8')) as Record<string, unknown>;
}

/**
 * Validates a wire-form object against the contract; returns the in-memory form.
 * Throws a DecodeError whose `field` is the dotted path of the first bad field.
 */
export function validate<T>(contract: Contract<T>, value: unknown): T {
  if (contract.fast) {
    const quick = contract.fast(value);
    if (quick !== undefined) return quick;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DecodeError('VIGIL_VALIDATION', '', `expected a ${contract.name} object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  const result = contract.zod.safeParse(value);
  if (result.success) return result.data;
  const [first, ...others] = result.error.issues;
  throw new DecodeError('VIGIL_VALIDATION', first!.path.join('.'), `${bounded(first!.message)}${otherProblems(others)}`);
}

/** Problems listed after the first, each with its reason; past this many, only counted. */
const MAX_LISTED_PROBLEMS = 5;
/** A reason quoting the input (an enum's received value) could be long: each is cut to this. */
const MAX_REASON_CHARS = 160;

function bounded(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** `; status: must be 599 or less; latencyMs: expected number, received string (and 2 more)`. */
function otherProblems(issues: readonly z.ZodIssue[]): string {
  const listed = issues.slice(0, MAX_LISTED_PROBLEMS - 1).map((i) => `; ${bounded(i.path.join('.') || '(message)')}: ${bounded(i.message)}`);
  const unlisted = issues.length - listed.length;
  return `${listed.join('')}${unlisted > 0 ? ` (and ${unlisted} more)` : ''}`;
}

/** The JSON wire form: timestamps as RFC 3339 strings, absent optionals omitted. */
export function toWireJson<T extends object>(contract: Contract<T>, value: T): Record<string, unknown> {
  const { timestampFields } = avroForm(contract);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    out[k] = timestampFields.has(k) && typeof v === 'number' ? formatRfc3339(v) : v;
  }
  return out;
}

/**
 * The Avro record for a wire-form or in-memory object: the contract's fields
 * in order, null for an absent optional, RFC 3339 timestamps as epoch ms.
 * It does not validate: a bad value stays bad, so the Avro type rejects it.
 */
export function toAvroRecord(contract: Contract<unknown>, value: Record<string, unknown>): Record<string, unknown> {
  const { fieldNames, timestampFields } = avroForm(contract);
  const out: Record<string, unknown> = {};
  for (const name of fieldNames) {
    let v = value[name];
    if (v === undefined) v = null;
    if (timestampFields.has(name) && typeof v === 'string') v = parseRfc3339(v) ?? v;
    out[name] = v;
  }
  return out;
}
