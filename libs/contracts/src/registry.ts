import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { DecodeError, RegistryError } from '@vigil/errors';

/**
 * The part of a Confluent-compatible schema registry that vigil uses:
 * register a schema under a subject, and fetch a writer's schema by id.
 * Both are cached by the underlying client.
 */
export interface SchemaRegistryClient {
  /** Registers (or finds) an Avro schema under `subject`; returns its id. */
  register(subject: string, schemaText: string): Promise<number>;
  /** The Avro type a message with this schema id was written with. Throws DecodeError when the id is unknown. */
  writerType(id: number): Promise<avro.Type>;
}

export interface SchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:18081/apis/ccompat/v7 */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
}

interface HttpFailure {
  status?: number;
  message?: string;
}

/** Removes credentials from a URL before it is shown anywhere. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/g, '//***@');
}

export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistryClient {
  if (!/^https?:\/\//.test(options.url)) throw new RegistryError(`schema registry URL must start with http:// or https://, got ${redactUrl(options.url)}`, { retriable: false });
  const auth = options.username ? { username: options.username, password: options.password ?? '' } : undefined;
  const client = new SchemaRegistry({ host: options.url.replace(/\/+$/, ''), auth, clientId: options.clientId ?? 'vigil' });
  const where = redactUrl(options.url);

  function failure(action: string, err: unknown): never {
    const status = (err as HttpFailure)?.status;
    const message = (err as HttpFailure)?.message ?? String(err);
    throw new RegistryError(`schema registry at ${where} could not ${action}${status ? ` (HTTP ${status})` : ''}: ${redactUrl(message)}`, {
      cause: err,
      retriable: status === undefined || status >= 500 || status === 401 || status === 403 || status === 429,
    });
  }

  return Object.freeze({
    async register(subject: string, schemaText: string): Promise<number> {
      try {
        const { id } = await client.register({ type: SchemaType.AVRO, schema: schemaText }, { subject });
        return id;
      } catch (err) {
        return failure(`register subject ${subject}`, err);
      }
    },
    async writerType(id: number): Promise<avro.Type> {
      try {
        return (await client.getSchema(id)) as unknown as avro.Type;
      } catch (err) {
        if ((err as HttpFailure)?.status === 404) {
          throw new DecodeError('VIGIL_DECODE_SCHEMA_UNKNOWN', '', `schema id ${id} is not in the schema registry`, { cause: err });
        }
        return failure(`fetch schema id ${id}`, err);
      }
    },
  });
}
