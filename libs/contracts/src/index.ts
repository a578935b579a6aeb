export * from './names.js';
export * from './timestamp.js';
export type { ApiTransaction, ApiTransactionInput } from './transaction.js';
export { apiTransactionSchema } from './transaction.js';
export type { Finding, Subject } from './finding.js';
export { findingSchema, subjectSchema } from './finding.js';
export type { Incident } from './incident.js';
export { incidentSchema } from './incident.js';
export {
  allContracts,
  avroForm,
  findingContract,
  incidentContract,
  loadJsonSchema,
  schemasDir,
  toAvroRecord,
  toWireJson,
  transactionContract,
  validate,
  type AvroForm,
  type Contract,
} from './contract.js';
export { createCodec, sniffEncoding, DEFAULT_MAX_MESSAGE_BYTES, type Codec, type CodecOptions, type Encoding } from './codec.js';
export { createSchemaRegistry, redactUrl, type SchemaRegistryClient, type SchemaRegistryOptions } from './registry.js';
export { transactionKey } from './keys.js';
