import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '@vigil/errors';
import { allContracts, avroForm, findingContract, incidentContract, loadJsonSchema, toAvroRecord, transactionContract, validate, type Contract } from './contract.js';
import { detectorNames } from './names.js';
import { fullTransaction } from './samples.fixture.js';

const ajv = new Ajv2020.default({ strict: true, allErrors: true });
addFormats.default(ajv);

function verdicts(contract: Contract<unknown>, sample: Record<string, unknown>) {
  const jsonSchema = ajv.getSchema(loadJsonSchema(contract).$id as string) ?? ajv.compile(loadJsonSchema(contract));
  let zodOk = true;
  try {
    validate(contract, sample);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    zodOk = false;
  }
  return {
    zod: zodOk,
    jsonSchema: jsonSchema(sample) as boolean,
    avro: avroForm(contract).type.isValid(toAvroRecord(contract, sample)),
  };
}

const tx = fullTransaction;
const txMinimal = { id: 'e', timestamp: 1763892930123, direction: 'outbound', api: 'payments-provider', method: 'post', path: '/v1/charges', status: 429, latencyMs: 0, rateLimitLimit: 100, rateLimitRemaining: 0 };

const finding = {
  id: 'f-1',
  detector: 'bola_enumeration',
  severity: 'high',
  confidence: 0.93,
  api: 'accounts',
  route: '/users/{id}/account',
  subject: { kind: 'principal', value: 'user-42' },
  windowStart: '2026-11-23T10:00:00Z',
  windowEnd: '2026-11-23T10:02:00Z',
  detectedAt: 1763892120000,
  title: 'user-42 read 80 distinct account ids in 2 minutes',
  description: 'Sequential ids, 61 answered 403.',
  evidence: { distinctIds: 80, baselineMean: 1.2, samplePaths: '/users/1/account,/users/2/account' },
  owasp: 'API1:2023',
  eventIds: ['evt-1', 'evt-2'],
};

const incident = {
  id: 'inc-1',
  version: 3,
  change: 'escalated',
  state: 'open',
  tier: 'wake_up',
  groupKey: 'bola_enumeration|accounts|principal:user-42',
  detector: 'bola_enumeration',
  severity: 'critical',
  api: 'accounts',
  subject: { kind: 'principal', value: 'user-42' },
  title: 'Enumeration by user-42',
  reason: 'unacknowledged for 15m',
  findingCount: 5,
  lastFindingId: 'f-5',
  findingIds: ['f-1', 'f-5'],
  firstSeenAt: '2026-11-23T10:02:00+01:00',
  lastSeenAt: '2026-11-23T10:12:00Z',
  changedAt: 1763892720000,
};

const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const withField = (o: Record<string, unknown>, key: string, value: unknown) => ({ ...o, [key]: value });

type Case = [string, Contract<unknown>, Record<string, unknown>];

const valid: Case[] = [
  ['a full inbound transaction', transactionContract, tx],
  ['a minimal outbound transaction with epoch-ms timestamp', transactionContract, txMinimal],
  ['a transaction with optionals set to null', transactionContract, { ...txMinimal, route: null, principal: null, tags: null }],
  ['a transaction with an unknown extra field', transactionContract, { ...tx, futureField: 'x' }],
  ['a transaction with a +02:00 offset', transactionContract, withField(tx, 'timestamp', '2026-11-23T12:15:30+02:00')],
  ['a finding', findingContract, finding],
  ['a finding without route and owasp', findingContract, without(without(finding, 'route'), 'owasp')],
  ...detectorNames.map((d): Case => [`a finding from ${d}`, findingContract, withField(finding, 'detector', d)]),
  ['an incident', incidentContract, incident],
  ['an acknowledged incident', incidentContract, { ...incident, change: 'acknowledged', state: 'acknowledged', acknowledgedBy: 'alice' }],
];

/** Broken in structure or type: all three forms must refuse them. */
const broken: Case[] = [
  ...['id', 'timestamp', 'direction', 'api', 'method', 'path', 'status', 'latencyMs'].map((k): Case => [`a transaction without ${k}`, transactionContract, without(tx, k)]),
  ['a transaction with status as a string', transactionContract, withField(tx, 'status', '200')],
  ['a transaction with a fractional status', transactionContract, withField(tx, 'status', 200.5)],
  ['a transaction with an unknown direction', transactionContract, withField(tx, 'direction', 'sideways')],
  ['a transaction with latencyMs as a string', transactionContract, withField(tx, 'latencyMs', 'fast')],
  ['a transaction with a timestamp that is not a date', transactionContract, withField(tx, 'timestamp', 'yesterday')],
  ['a transaction with a boolean timestamp', transactionContract, withField(tx, 'timestamp', true)],
  ['a transaction with a numeric principal', transactionContract, withField(tx, 'principal', 42)],
  ['a transaction with a non-string tag', transactionContract, withField(tx, 'tags', { env: 1 })],
  ['a transaction with a fractional responseBytes', transactionContract, withField(tx, 'responseBytes', 1.5)],
  ['a transaction with id null', transactionContract, withField(tx, 'id', null)],
  ...['id', 'detector', 'severity', 'confidence', 'api', 'subject', 'windowStart', 'windowEnd', 'detectedAt', 'title', 'description', 'evidence', 'eventIds'].map(
    (k): Case => [`a finding without ${k}`, findingContract, without(finding, k)],
  ),
  ['a finding from an unknown detector', findingContract, withField(finding, 'detector', 'vibes')],
  ['a finding with an unknown severity', findingContract, withField(finding, 'severity', 'urgent')],
  ['a finding with an unknown subject kind', findingContract, withField(finding, 'subject', { kind: 'planet', value: 'x' })],
  ['a finding whose subject has no value', findingContract, withField(finding, 'subject', { kind: 'ip' })],
  ['a finding with evidence holding a boolean', findingContract, withField(finding, 'evidence', { flag: true })],
  ['a finding with eventIds holding a number', findingContract, withField(finding, 'eventIds', ['a', 1])],
  ...['id', 'version', 'change', 'state', 'tier', 'groupKey', 'detector', 'severity', 'api', 'subject', 'title', 'findingCount', 'lastFindingId', 'findingIds', 'firstSeenAt', 'lastSeenAt', 'changedAt'].map(
    (k): Case => [`an incident without ${k}`, incidentContract, without(incident, k)],
  ),
  ['an incident with an unknown tier', incidentContract, withField(incident, 'tier', 'wake up')],
  ['an incident with findingCount as a string', incidentContract, withField(incident, 'findingCount', '5')],
];

/**
 * Broken in value only (ranges, lengths, patterns). Avro has no such
 * constraints: zod and JSON Schema refuse them, and the codec runs zod after
 * every Avro decode, so vigil refuses them whatever the encoding.
 */
const outOfRange: Case[] = [
  ['a transaction with status 99', transactionContract, withField(tx, 'status', 99)],
  ['a transaction with status 600', transactionContract, withField(tx, 'status', 600)],
  ['a transaction with negative latency', transactionContract, withField(tx, 'latencyMs', -1)],
  ['a transaction with an empty id', transactionContract, withField(tx, 'id', '')],
  ['a transaction with a method that is not a word', transactionContract, withField(tx, 'method', 'GET /x')],
  ['a transaction with a 300-character id', transactionContract, withField(tx, 'id', 'x'.repeat(300))],
  ['a transaction with February 30th', transactionContract, withField(tx, 'timestamp', '2026-02-30T00:00:00Z')],
  ['a transaction with a negative epoch', transactionContract, withField(tx, 'timestamp', -5)],
  ['a transaction with 65 tags', transactionContract, withField(tx, 'tags', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])))],
  ['a finding with confidence 1.01', findingContract, withField(finding, 'confidence', 1.01)],
  ['a finding with owasp API11:2023', findingContract, withField(finding, 'owasp', 'API11:2023')],
  ['a finding with 51 event ids', findingContract, withField(finding, 'eventIds', Array.from({ length: 51 }, (_, i) => `e${i}`))],
  ['a finding with a 201-character title', findingContract, withField(finding, 'title', 't'.repeat(201))],
  ['an incident with version 0', incidentContract, withField(incident, 'version', 0)],
];

describe('the zod, JSON Schema and Avro forms of each contract agree', () => {
  it.each(valid)('%s passes all three', (_name, contract, sample) => {
    expect(verdicts(contract, sample)).toEqual({ zod: true, jsonSchema: true, avro: true });
  });

  it.each(broken)('%s fails all three', (_name, contract, sample) => {
    expect(verdicts(contract, sample)).toEqual({ zod: false, jsonSchema: false, avro: false });
  });

  it.each(outOfRange)('%s fails zod and JSON Schema', (_name, contract, sample) => {
    const v = verdicts(contract, sample);
    expect({ zod: v.zod, jsonSchema: v.jsonSchema }).toEqual({ zod: false, jsonSchema: false });
  });

  it.each(allContracts.map((c) => [c.name, c] as const))('%s: the Avro and JSON Schema forms have the same fields and required set', (_name, contract) => {
    const json = loadJsonSchema(contract) as { properties: Record<string, unknown>; required: string[] };
    const avroFields = (JSON.parse(avroForm(contract).text) as { fields: { name: string; type: unknown }[] }).fields;
    expect(avroFields.map((f) => f.name).sort()).toEqual(Object.keys(json.properties).sort());
    const avroRequired = avroFields.filter((f) => !(Array.isArray(f.type) && f.type[0] === 'null')).map((f) => f.name);
    expect(avroRequired.sort()).toEqual([...json.required].sort());
  });
});

describe('validate', () => {
  it('returns the in-memory form: epoch-ms timestamps, no null optionals, no unknown fields', () => {
    const out = validate(transactionContract, { ...txMinimal, timestamp: '2026-11-23T10:15:30.123Z', route: null, extra: 1 });
    expect(out).toEqual({ ...txMinimal, timestamp: Date.UTC(2026, 10, 23, 10, 15, 30, 123) });
    expect(Object.keys(out)).not.toContain('route');
    expect(Object.keys(out)).not.toContain('extra');
  });

  it('names the bad field in a typed error', () => {
    const err = captured(() => validate(transactionContract, withField(tx, 'status', 'abc')));
    expect(err).toBeInstanceOf(DecodeError);
    expect(err.code).toBe('VIGIL_VALIDATION');
    expect(err.field).toBe('status');
    expect(err.message).toMatch(/^status: expected an integer/);
    expect(err.retriable).toBe(false);
  });

  it('names nested fields with a dotted path', () => {
    const err = captured(() => validate(findingContract, withField(finding, 'subject', { kind: 'planet', value: 'x' })));
    expect(err.field).toBe('subject.kind');
    expect(err.message).toContain('expected one of principal, ip, client, route, api');
  });

  it('names a missing field as required', () => {
    const err = captured(() => validate(transactionContract, without(tx, 'timestamp')));
    expect(err.field).toBe('timestamp');
    expect(err.message).toContain('Required');
  });

  it('refuses a value that is not an object', () => {
    expect(captured(() => validate(transactionContract, [1])).message).toContain('got an array');
    expect(captured(() => validate(transactionContract, null)).message).toContain('got null');
  });
});

function captured(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    return err as DecodeError;
  }
  throw new Error('expected an error');
}

describe('a validation error with several problems', () => {
  function problem(sample: Record<string, unknown>): DecodeError {
    try {
      validate(transactionContract, sample);
    } catch (err) {
      return err as DecodeError;
    }
    throw new Error('expected a DecodeError');
  }

  it('gives every problem its reason, not only its field', () => {
    const err = problem({ ...tx, status: 700, latencyMs: 'slow' });
    expect(err.field).toBe('status');
    expect(err.message).toBe('status: must be 599 or less; latencyMs: expected a number');
  });

  it('lists five problems, counts the rest, and cuts a long reason', () => {
    const err = problem({ ...tx, direction: `sideways-${'x'.repeat(5000)}`, status: 700, latencyMs: -1, requestBytes: -1, responseBytes: -1, rateLimitLimit: -1, rateLimitRemaining: -1 });
    expect(err.message.split('; ')).toHaveLength(5);
    expect(err.message).toMatch(/ \(and 2 more\)$/);
    expect(err.message.length).toBeLessThan(1000);
  });
});
