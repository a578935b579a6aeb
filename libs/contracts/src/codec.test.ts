import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { DecodeError, RegistryError } from '@vigil/errors';
import { createCodec, sniffEncoding } from './codec.js';
import { avroForm, transactionContract } from './contract.js';
import type { SchemaRegistryClient } from './registry.js';
import type { ApiTransaction } from './transaction.js';

/** A registry held in memory, behind the same interface as the HTTP one. */
function memoryRegistry(): SchemaRegistryClient & { schemas: Map<number, string>; down: boolean } {
  const schemas = new Map<number, string>();
  const state = {
    schemas,
    down: false,
    async register(_subject: string, text: string) {
      for (const [id, t] of schemas) if (t === text) return id;
      const id = schemas.size + 1;
      schemas.set(id, text);
      return id;
    },
    async writerType(id: number) {
      if (state.down) throw new RegistryError('registry unreachable');
      const text = schemas.get(id);
      if (!text) throw new DecodeError('VIGIL_DECODE_SCHEMA_UNKNOWN', '', `schema id ${id} is not in the schema registry`);
      return avro.Type.forSchema(JSON.parse(text) as avro.Schema);
    },
  };
  return state;
}

const event: ApiTransaction = {
  id: 'evt-7',
  timestamp: Date.UTC(2026, 10, 23, 9, 0, 0, 250),
  direction: 'inbound',
  api: 'orders',
  method: 'GET',
  path: '/orders/77',
  route: '/orders/{id}',
  status: 404,
  latencyMs: 3.25,
  principal: 'u-1',
  tags: { env: 'prod' },
};

async function decodeError(p: Promise<unknown>): Promise<DecodeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('codec', () => {
  const registry = memoryRegistry();
  const codec = createCodec(transactionContract, { registry, topic: 'api.transactions' });

  it('round-trips JSON, with the timestamp as RFC 3339 on the wire', async () => {
    const bytes = codec.encodeJson(event);
    expect(JSON.parse(bytes.toString()).timestamp).toBe('2026-11-23T09:00:00.250Z');
    expect(await codec.decode(bytes)).toEqual(event);
  });

  it('round-trips Confluent-framed Avro: magic byte 0, schema id, body', async () => {
    const bytes = await codec.encodeAvro(event);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(1);
    expect(sniffEncoding(bytes)).toBe('avro');
    expect(await codec.decode(bytes)).toEqual(event);
  });

  it('reads Avro written with an older writer schema that lacks optional fields', async () => {
    const full = JSON.parse(avroForm(transactionContract).text) as { fields: { name: string }[] };
    const older = { ...full, fields: full.fields.filter((f) => f.name !== 'tags' && f.name !== 'contentType') };
    const id = await registry.register('api.transactions-value', JSON.stringify(older));
    const writer = avro.Type.forSchema(older as avro.Schema);
    const body = writer.toBuffer({ ...Object.fromEntries(older.fields.map((f) => [f.name, null])), ...event, tags: undefined });
    const header = Buffer.from([0, 0, 0, 0, id]);
    const { tags: _tags, ...withoutTags } = event;
    expect(await codec.decode(Buffer.concat([header, body]))).toEqual(withoutTags);
  });

  it('tells the encodings apart by the first byte, allowing whitespace and a BOM before JSON', () => {
    expect(sniffEncoding(Buffer.from('  \n{"a":1}'))).toBe('json');
    expect(sniffEncoding(Buffer.from('\uFEFF{"a":1}'))).toBe('json');
    expect(sniffEncoding(Buffer.from('[1]'))).toBeUndefined();
    expect(sniffEncoding(Buffer.from([0, 0, 0, 0, 1]))).toBe('avro');
  });

  it.each([
    ['an empty message', Buffer.alloc(0), 'VIGIL_DECODE_EMPTY'],
    ['broken JSON', Buffer.from('{"id": "x", '), 'VIGIL_DECODE_JSON_SYNTAX'],
    ['plain text', Buffer.from('hello'), 'VIGIL_DECODE_UNKNOWN_FORMAT'],
    ['a JSON array', Buffer.from('[{"id":"x"}]'), 'VIGIL_DECODE_UNKNOWN_FORMAT'],
    ['a frame shorter than its header', Buffer.from([0, 0, 1]), 'VIGIL_DECODE_AVRO'],
    ['an unknown schema id', Buffer.from([0, 0, 0, 0x30, 0x39, 1, 2]), 'VIGIL_DECODE_SCHEMA_UNKNOWN'],
  ])('%s is a DecodeError with code %s', async (_name, bytes, code) => {
    const err = await decodeError(codec.decode(bytes));
    expect(err.code).toBe(code);
    expect(err.retriable).toBe(false);
  });

  it('a truncated Avro body is a DecodeError', async () => {
    const bytes = await codec.encodeAvro(event);
    const err = await decodeError(codec.decode(bytes.subarray(0, bytes.length - 6)));
    expect(err.code).toBe('VIGIL_DECODE_AVRO');
    expect(err.message).toContain('schema id 1');
  });

  it('an Avro message with a value out of range names the field', async () => {
    const { type } = avroForm(transactionContract);
    const record = { ...Object.fromEntries((JSON.parse(avroForm(transactionContract).text) as { fields: { name: string }[] }).fields.map((f) => [f.name, null])), ...event, status: 999 };
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), type.toBuffer(record)]);
    const err = await decodeError(codec.decode(bytes));
    expect(err.code).toBe('VIGIL_VALIDATION');
    expect(err.field).toBe('status');
  });

  it('a JSON message with a bad field names it', async () => {
    const err = await decodeError(codec.decode(Buffer.from(JSON.stringify({ ...JSON.parse(codec.encodeJson(event).toString()), direction: 'up' }))));
    expect(err.field).toBe('direction');
    expect(err.message).toContain('expected one of inbound, outbound');
  });

  it('refuses a message over the size limit before parsing it', async () => {
    const small = createCodec(transactionContract, { topic: 't', maxMessageBytes: 100 });
    const err = await decodeError(small.decode(Buffer.from(`{"id":"${'x'.repeat(200)}"}`)));
    expect(err.code).toBe('VIGIL_DECODE_TOO_LARGE');
  });

  it('an unreachable registry is a retriable RegistryError, not a DecodeError', async () => {
    const flaky = memoryRegistry();
    const c = createCodec(transactionContract, { registry: flaky, topic: 't' });
    const bytes = await c.encodeAvro(event);
    flaky.down = true;
    const fresh = createCodec(transactionContract, { registry: flaky, topic: 't' });
    await expect(fresh.decode(bytes)).rejects.toSatisfy((e: unknown) => e instanceof RegistryError && e.retriable);
  });

  it('decodes a batch at once: values in order, a DecodeError in place of each bad message, registry trouble thrown', async () => {
    const flaky = memoryRegistry();
    const c = createCodec(transactionContract, { registry: flaky, topic: 't' });
    const avroBytes = await c.encodeAvro(event);
    const out = await c.decodeAll([c.encodeJson(event), Buffer.from('not json'), avroBytes, null, avroBytes]);
    expect(out[0]).toEqual(event);
    expect(out[2]).toEqual(event);
    expect(out[4]).toEqual(event);
    expect([out[1], out[3]].map((e) => (e as DecodeError).code)).toEqual(['VIGIL_DECODE_UNKNOWN_FORMAT', 'VIGIL_DECODE_EMPTY']);
    flaky.down = true;
    const fresh = createCodec(transactionContract, { registry: flaky, topic: 't' });
    await expect(fresh.decodeAll([c.encodeJson(event), avroBytes])).rejects.toSatisfy((e: unknown) => e instanceof RegistryError && e.retriable);
  });

  it('maps each decoded value as it goes (then), and leaves the DecodeErrors in place', async () => {
    const c = createCodec(transactionContract, { registry: memoryRegistry(), topic: 't' });
    const seen: string[] = [];
    const out = await c.decodeAll([c.encodeJson(event), Buffer.from('{'), await c.encodeAvro({ ...event, id: 'second' })], (e) => {
      seen.push(e.id);
      return { id: e.id, upper: e.api.toUpperCase() };
    });
    expect(seen).toEqual([event.id, 'second']);
    expect(out[0]).toEqual({ id: event.id, upper: event.api.toUpperCase() });
    expect((out[1] as DecodeError).code).toBe('VIGIL_DECODE_JSON_SYNTAX');
    expect(out[2]).toEqual({ id: 'second', upper: event.api.toUpperCase() });
  });

  it('Avro without a registry configured is a clear DecodeError', async () => {
    const bare = createCodec(transactionContract, { topic: 't' });
    const err = await decodeError(bare.decode(Buffer.from([0, 0, 0, 0, 1, 2])));
    expect(err.message).toContain('no schema registry is configured');
  });

  it('refuses to encode an invalid event', () => {
    expect(() => codec.encodeJson({ ...event, status: 42 })).toThrow(DecodeError);
  });
});
