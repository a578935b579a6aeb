import type avro from 'avsc';
import { DecodeError, RegistryError, VigilError } from '@vigil/errors';
import { avroForm, toAvroRecord, toWireJson, validate, type Contract } from './contract.js';
import type { SchemaRegistryClient } from './registry.js';

/** Messages larger than this are dead-lettered without being parsed. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export type Encoding = 'json' | 'avro';

export interface CodecOptions {
  /** Needed to decode Avro messages and to encode Avro; JSON works without one. */
  registry?: SchemaRegistryClient;
  /** The topic the messages belong to; the Avro subject is `<topic>-value`. */
  topic: string;
  maxMessageBytes?: number;
}

export interface Codec<T> {
  readonly contract: Contract<T>;
  /** JSON or Confluent-framed Avro, told apart by the first byte. Throws DecodeError (dead-letter it) or a retriable RegistryError. */
  decode(bytes: Buffer | null | undefined): Promise<T>;
  /**
   * Decodes a batch with one await (only an Avro schema id not seen before
   * waits on the registry): per message the value, or the DecodeError that
   * dead-letters it. A retriable error (registry down) is thrown. `then`
   * maps each decoded value as soon as it is decoded (the detector enriches
   * it there, so the decoded object dies young instead of living as long
   * as the batch).
   */
  decodeAll(messages: readonly (Buffer | null | undefined)[]): Promise<(T | DecodeError)[]>;
  decodeAll<U>(messages: readonly (Buffer | null | undefined)[], then: (value: T) => U): Promise<(U | DecodeError)[]>;
  /** Which encoding a message uses, from its first byte, without decoding it. */
  sniff(bytes: Buffer): Encoding | undefined;
  encodeJson(value: T): Buffer;
  encodeAvro(value: T): Promise<Buffer>;
  encode(value: T, encoding: Encoding): Promise<Buffer>;
}

const MAGIC_BYTE = 0;

export function sniffEncoding(bytes: Buffer): Encoding | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] === MAGIC_BYTE) return 'avro';
  for (let i = 0; i < bytes.length && i < 64; i++) {
    const b = bytes[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    if (b === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) { i += 2; continue; } // UTF-8 BOM
    return b === 0x7b /* { */ ? 'json' : undefined;
  }
  return undefined;
}

export function createCodec<T extends object>(contract: Contract<T>, options: CodecOptions): Codec<T> {
  if (!options.topic) throw new VigilError('VIGIL_ARGUMENT', 'createCodec needs the topic (the Avro subject is <topic>-value)');
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const subject = `${options.topic}-value`;
  const reader = avroForm(contract);
  const resolvers = new Map<number, avro.Resolver | null>();
  let registeredId: Promise<number> | undefined;

  function requireRegistry(): SchemaRegistryClient {
    if (!options.registry) throw new DecodeError('VIGIL_DECODE_AVRO', '', 'message is Avro (magic byte 0) but no schema registry is configured');
    return options.registry;
  }

  async function resolverFor(id: number): Promise<avro.Resolver | null> {
    const cached = resolvers.get(id);
    if (cached !== undefined) return cached;
    const writer = await requireRegistry().writerType(id);
    let resolver: avro.Resolver | null;
    if (writer.equals(reader.type)) resolver = null;
    else {
      try {
        resolver = reader.type.createResolver(writer);
      } catch (err) {
        throw new DecodeError('VIGIL_DECODE_AVRO', '', `schema id ${id} cannot be read as ${contract.name} v1: ${(err as Error).message}`, { cause: err });
      }
    }
    resolvers.set(id, resolver);
    return resolver;
  }

  /** Synchronous once the schema id's resolver is cached. */
  function decodeAvro(bytes: Buffer): T | Promise<T> {
    if (bytes.length < 5) throw new DecodeError('VIGIL_DECODE_AVRO', '', `Confluent frame is ${bytes.length} bytes, shorter than its 5-byte header`);
    const id = bytes.readUInt32BE(1);
    const cached = resolvers.get(id);
    return cached !== undefined ? readAvro(bytes, id, cached) : resolverFor(id).then((resolver) => readAvro(bytes, id, resolver));
  }

  function readAvro(bytes: Buffer, id: number, resolver: avro.Resolver | null): T {
    let record: unknown;
    try {
      record = resolver ? reader.type.fromBuffer(bytes.subarray(5), resolver) : reader.type.fromBuffer(bytes.subarray(5));
    } catch (err) {
      throw new DecodeError('VIGIL_DECODE_AVRO', '', `Avro body does not match schema id ${id}: ${(err as Error).message}`, { cause: err });
    }
    return validate(contract, record);
  }

  function decodeJson(bytes: Buffer): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new DecodeError('VIGIL_DECODE_JSON_SYNTAX', '', `not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    return validate(contract, parsed);
  }

  async function encodeAvro(value: T): Promise<Buffer> {
    const checked = validate(contract, toWireJson(contract, value));
    registeredId ??= requireRegistry().register(subject, reader.text).catch((err: unknown) => {
      registeredId = undefined;
      throw err;
    });
    const id = await registeredId;
    const body = reader.type.toBuffer(toAvroRecord(contract, checked as Record<string, unknown>));
    const header = Buffer.alloc(5);
    header.writeUInt8(MAGIC_BYTE, 0);
    header.writeUInt32BE(id, 1);
    return Buffer.concat([header, body]);
  }

  function encodeJson(value: T): Buffer {
    const wire = toWireJson(contract, value);
    validate(contract, wire);
    return Buffer.from(JSON.stringify(wire), 'utf8');
  }

  function decodeOne(bytes: Buffer | null | undefined): T | Promise<T> {
    if (!bytes || bytes.length === 0) throw new DecodeError('VIGIL_DECODE_EMPTY', '', 'message has no value');
    if (bytes.length > maxBytes) throw new DecodeError('VIGIL_DECODE_TOO_LARGE', '', `message is ${bytes.length} bytes, more than the ${maxBytes}-byte limit`);
    const encoding = sniffEncoding(bytes);
    if (encoding === 'avro') return decodeAvro(bytes);
    if (encoding === 'json') return decodeJson(bytes);
    throw new DecodeError('VIGIL_DECODE_UNKNOWN_FORMAT', '', `first byte 0x${bytes[0]!.toString(16).padStart(2, '0')} is neither a JSON object nor the Avro magic byte 0`);
  }

  return Object.freeze({
    contract,
    sniff: sniffEncoding,
    decode: async (bytes: Buffer | null | undefined): Promise<T> => decodeOne(bytes),
    async decodeAll<U>(messages: readonly (Buffer | null | undefined)[], then?: (value: T) => U): Promise<(T | U | DecodeError)[]> {
      // Sized once and indexed: this runs for every message, and an iterator or a growing array here is garbage per message.
      const out = new Array<T | U | DecodeError>(messages.length);
      for (let i = 0; i < messages.length; i++) {
        try {
          const decoded = decodeOne(messages[i]);
          const value = decoded instanceof Promise ? await decoded : decoded;
          out[i] = then ? then(value) : value;
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          out[i] = err;
        }
      }
      return out;
    },
    encodeJson,
    encodeAvro,
    encode: (value: T, encoding: Encoding) => (encoding === 'avro' ? encodeAvro(value) : Promise.resolve(encodeJson(value))),
  });
}

export { RegistryError };
