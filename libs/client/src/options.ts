import { z } from 'zod';
import { VigilError } from '@vigil/errors';
import type { Logger } from '@vigil/telemetry';

/**
 * The publisher's options, validated once at construction and frozen. Units
 * are in the names. Every problem is reported with its path.
 */
const brokerPattern = /^[^\s:/]+:\d{1,5}$/;

export const publisherOptionsSchema = z
  .object({
    brokers: z.array(z.string().regex(brokerPattern, 'expected host:port')).min(1, 'needs at least one broker (host:port)'),
    topic: z.string().min(1).max(249).default('api.transactions'),
    encoding: z.enum(['json', 'avro']).default('json'),
    schemaRegistry: z
      .object({ url: z.string().regex(/^https?:\/\//, 'must start with http:// or https://'), username: z.string().optional(), password: z.string().optional() })
      .strict()
      .optional(),
    clientId: z.string().min(1).default('vigil-client'),
    ssl: z.boolean().default(false),
    sasl: z
      .object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string(), password: z.string() })
      .strict()
      .optional(),
    /** Events per Kafka request. */
    batchSize: z.number().int().min(1).max(10_000).default(200),
    /** How long an event may wait for a batch to fill before it is sent anyway. */
    lingerMs: z.number().int().min(0).max(60_000).default(50),
    /** Events held while the broker is slow or away; past it, events are dropped and counted. */
    bufferSize: z.number().int().min(1).max(10_000_000).default(10_000),
    /** Which events a full buffer drops: the one arriving (keeps the oldest) or the oldest held (keeps the newest). */
    whenFull: z.enum(['drop-newest', 'drop-oldest']).default('drop-newest'),
    /** Retry delays after a failed send or connection: doubling from the first to the last, with jitter. */
    retryBackoffMs: z
      .object({ initial: z.number().int().min(1).default(200), max: z.number().int().min(1).default(5_000) })
      .strict()
      .default({}),
    connectionTimeoutMs: z.number().int().min(100).default(3_000),
    requestTimeoutMs: z.number().int().min(100).default(10_000),
    /** Dropped events and failed sends are logged at most once per this interval, with counts. */
    logIntervalMs: z.number().int().min(0).default(10_000),
    /** The Kafka client's own log lines (each failed connection during an outage logs); the publisher logs its own summary either way. */
    kafkaLogLevel: z.enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug']).default('silent'),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).child === 'function', 'expected a pino logger').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.encoding === 'avro' && !o.schemaRegistry) ctx.addIssue({ code: 'custom', path: ['schemaRegistry'], message: "encoding 'avro' needs schemaRegistry.url" });
    if (o.retryBackoffMs.max < o.retryBackoffMs.initial) ctx.addIssue({ code: 'custom', path: ['retryBackoffMs', 'max'], message: 'must be at least retryBackoffMs.initial' });
  });

export type PublisherOptions = z.input<typeof publisherOptionsSchema>;
export type PublisherConfig = Readonly<z.output<typeof publisherOptionsSchema>>;

/** Parses and freezes the options, or throws VIGIL_ARGUMENT listing every problem (secrets never quoted). */
export function parsePublisherOptions(options: PublisherOptions): PublisherConfig {
  const result = publisherOptionsSchema.safeParse(options);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new VigilError('VIGIL_ARGUMENT', `invalid vigil publisher options: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}
