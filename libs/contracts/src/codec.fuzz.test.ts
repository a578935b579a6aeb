import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeErrorCodes } from '@vigil/errors';
import { createCodec } from './codec.js';
import { avroForm, toWireJson, transactionContract } from './contract.js';
import type { SchemaRegistryClient } from './registry.js';
import { fullTransaction } from './samples.fixture.js';

/**
 * Hostile input for the decoder: every message is either decoded into a valid
 * ApiTransaction or refused with a DecodeError carrying a stable code. Nothing
 * else may escape (no TypeError, no RangeError, no hang), whatever the bytes.
 */
const registry: SchemaRegistryClient = {
  register: async () => 1,
  writerType: async (id) => {
    if (id === 1) return avroForm(transactionContract).type;
    throw new DecodeError('VIGIL_DECODE_SCHEMA_UNKNOWN', '', `schema id ${id} is not in the schema registry`);
  },
};
const codec = createCodec(transactionContract, { registry, topic: 'fuzz', maxMessageBytes: 1024 * 1024 });

async function outcome(bytes: Buffer | null): Promise<'ok' | (typeof decodeErrorCodes)[number]> {
  try {
    const value = await codec.decode(bytes);
    expect(typeof value.id).toBe('string');
    return 'ok';
  } catch (err) {
    if (!(err instanceof DecodeError)) throw new Error(`not a DecodeError: ${String(err)}`);
    expect(decodeErrorCodes).toContain(err.code);
    return err.code as (typeof decodeErrorCodes)[number];
  }
}

const valid = Buffer.from(JSON.stringify(fullTransaction));
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('\u0000', '\u202e', '\ud800', '\uffff', '🏴‍☠️', 'ǅ', '\u0301\u0301\u0301', 'a'.repeat(100_000)),
);

describe('the decoder under hostile input', () => {
  it('random bytes: decoded or refused with a code, never thrown otherwise', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (b) => void (await outcome(Buffer.from(b)))), { numRuns: 500 });
  });

  it('the valid sample with any field replaced by odd values', async () => {
    const keys = Object.keys(fullTransaction);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.oneof(nasty, fc.double(), fc.integer(), fc.constant(null), fc.array(nasty, { maxLength: 3 }), fc.dictionary(nasty, nasty, { maxKeys: 3 })), async (key, value) => {
        await outcome(Buffer.from(JSON.stringify({ ...fullTransaction, [key]: value })));
      }),
      { numRuns: 400 },
    );
  });

  it('truncated and bit-flipped Avro, and unknown schema ids', async () => {
    const avro = await codec.encode(await codec.decode(valid), 'avro');
    expect(await outcome(avro)).toBe('ok');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: avro.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), async (at, byte, truncate) => {
        const b = Buffer.from(truncate ? avro.subarray(0, at) : avro);
        if (!truncate && at > 4) b[at] = byte;
        await outcome(b);
      }),
      { numRuns: 400 },
    );
    const unknown = Buffer.from(avro);
    unknown.writeUInt32BE(424242, 1);
    expect(await outcome(unknown)).toBe('VIGIL_DECODE_SCHEMA_UNKNOWN');
  });

  it('10 MB messages, deeply nested JSON and very long strings are refused quickly with a reason', async () => {
    const started = Date.now();
    expect(await outcome(Buffer.alloc(10 * 1024 * 1024, 0x7b))).toBe('VIGIL_DECODE_TOO_LARGE');
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(await outcome(Buffer.from(deep))).not.toBe('ok');
    const nested = JSON.stringify({ ...fullTransaction, tags: JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)) });
    expect(await outcome(Buffer.from(nested))).toBe('VIGIL_VALIDATION');
    expect(await outcome(Buffer.from(JSON.stringify({ ...fullTransaction, path: '/'.padEnd(900_000, 'x') })))).toBe('VIGIL_VALIDATION');
    expect(await outcome(null)).toBe('VIGIL_DECODE_EMPTY');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a valid message still decodes after all of that', async () => {
    expect(await outcome(valid)).toBe('ok');
    expect(toWireJson(transactionContract, await codec.decode(valid))).toMatchObject({ id: fullTransaction.id });
  });
});
