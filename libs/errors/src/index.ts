/**
 * vigil's error hierarchy. Every error carries a stable `code` (listed in
 * docs/errors.md) and says whether retrying the same operation may succeed.
 * Callers branch on `code` and `retriable`, never on message text.
 */
export interface VigilErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class VigilError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: VigilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable };
  }
}

/** A configuration value is missing or invalid. Never retriable: fix the config. */
export class ConfigError extends VigilError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: VigilErrorOptions = {}) {
    const lines = issues.map((i) => `  - ${i.source}: ${i.message}`);
    super('VIGIL_CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, { ...options, retriable: false });
    this.issues = issues;
  }
}

export interface ConfigIssue {
  /** Where the bad value came from: an environment variable name or `file:path.to.key`. */
  source: string;
  /** Dotted path inside the config object. */
  path: string;
  message: string;
}

/** A message could not be decoded or failed validation. Not retriable: dead-letter it. */
export class DecodeError extends VigilError {
  /** Dotted path of the offending field, or '' when the whole message is at fault. */
  readonly field: string;

  constructor(code: DecodeErrorCode, field: string, message: string, options: VigilErrorOptions = {}) {
    super(code, field ? `${field}: ${message}` : message, { ...options, retriable: false });
    this.field = field;
  }
}

export const decodeErrorCodes = [
  'VIGIL_DECODE_EMPTY',
  'VIGIL_DECODE_UNKNOWN_FORMAT',
  'VIGIL_DECODE_JSON_SYNTAX',
  'VIGIL_DECODE_AVRO',
  'VIGIL_DECODE_SCHEMA_UNKNOWN',
  'VIGIL_DECODE_TOO_LARGE',
  'VIGIL_VALIDATION',
] as const;
export type DecodeErrorCode = (typeof decodeErrorCodes)[number];

/** The schema registry could not be reached or answered with a server error. Retriable. */
export class RegistryError extends VigilError {
  constructor(message: string, options: VigilErrorOptions = {}) {
    super('VIGIL_REGISTRY_UNAVAILABLE', message, { retriable: true, ...options });
  }
}

/** A Kafka operation failed; `retriable` follows the broker's / client's own judgement. */
export class KafkaError extends VigilError {
  constructor(code: 'VIGIL_KAFKA_CONNECT' | 'VIGIL_KAFKA_PRODUCE' | 'VIGIL_KAFKA_ADMIN' | 'VIGIL_KAFKA_CONSUME', message: string, options: VigilErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A Redis operation failed. */
export class StateError extends VigilError {
  constructor(code: 'VIGIL_REDIS_CONNECT' | 'VIGIL_REDIS_COMMAND' | 'VIGIL_REDIS_KEY' | 'VIGIL_STATE_FENCE_MOVED' | 'VIGIL_SUPPRESSIONS_FULL', message: string, options: VigilErrorOptions = {}) {
    super(code, message, options);
  }
}

export function isVigilError(err: unknown): err is VigilError {
  return err instanceof VigilError;
}

/** True when an operation that threw `err` may succeed if tried again. Unknown errors are treated as programming errors: not retriable. */
export function isRetriable(err: unknown): boolean {
  return err instanceof VigilError ? err.retriable : false;
}
