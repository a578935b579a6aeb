import { z } from 'zod';
import { commonBindings, commonSchemas, consumerFields, loadConfig, topicCreationFields, type EnvBinding, type Env } from '@vigil/config';
import { defaultTopics } from '@vigil/contracts';
import { DEFAULT_SLICE_MS, detectorsConfigSchema } from '@vigil/detectors';

export const detectorServiceSchema = z
  .object({
    kafka: commonSchemas.kafka,
    schemaRegistry: commonSchemas.schemaRegistry,
    redis: commonSchemas.redis,
    log: commonSchemas.log,
    http: commonSchemas.http,
    topics: z
      .object({
        transactions: z.string().min(1).default(defaultTopics.transactions),
        /** Default: the transactions topic's name + `.dlq`, so a renamed input keeps its dead letters beside it. */
        dlq: z.string().min(1).optional(),
        findings: z.string().min(1).default(defaultTopics.findings),
        ...topicCreationFields,
      })
      .strict()
      .default({})
      .transform((t) => ({ ...t, dlq: t.dlq ?? deadLetterTopicOf(t.transactions) })),
    findings: z
      .object({
        /** How findings are written: JSON (RFC 3339 times), or Avro in the Confluent wire format, registered as `<findings topic>-value`. */
        encoding: z.enum(['json', 'avro']).default('json'),
      })
      .strict()
      .default({}),
    consumer: z
      .object({
        ...consumerFields('vigil-detector'),
        maxMessageBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
        maxBytesPerPartition: z.number().int().min(1024).default(4 * 1024 * 1024),
        /** Partitions processed at once: while one batch waits on Redis or Kafka, another computes. */
        partitionsConcurrently: z.number().int().min(1).max(64).default(2),
        /** How often changed subjects' checkpoints are written and the offsets they cover committed; a crash or rebalance replays from the last commit. */
        checkpointIntervalMs: z.number().int().min(100).max(300_000).default(5000),
        /** A batch spanning more event time than this (a backlog) is counted and judged in slices of at most this span; 0: never. */
        sliceMs: z.number().int().min(0).max(86_400_000).default(DEFAULT_SLICE_MS),
        /** A bad message larger than this goes to the dead-letter topic without its body (the broker's default limit is 1 MB). */
        maxDeadLetterBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(900 * 1024),
      })
      .strict()
      .default({}),
    metrics: z
      .object({
        /** Apis (with direction) that get observed/expected rate series; api names come from traffic, so the label set is capped. */
        maxApis: z.number().int().min(0).max(1000).default(50),
      })
      .strict()
      .default({}),
    suppressions: z
      .object({
        /** How often the false-positive suppressions are re-read from Redis (one GET when unchanged). */
        refreshMs: z.number().int().min(100).max(300_000).default(2000),
      })
      .strict()
      .default({}),
    detectors: detectorsConfigSchema.default({}),
  })
  .strict();

/** The dead-letter topic of a transactions topic when none is set: `api.transactions` → `api.transactions.dlq`. */
export function deadLetterTopicOf(transactions: string): string {
  return `${transactions}.dlq`;
}

export type DetectorServiceConfig = z.output<typeof detectorServiceSchema>;

export const detectorBindings: readonly EnvBinding[] = [
  ...commonBindings,
  { env: 'VIGIL_TOPIC_TRANSACTIONS', path: 'topics.transactions' },
  { env: 'VIGIL_TOPIC_DLQ', path: 'topics.dlq' },
  { env: 'VIGIL_TOPIC_FINDINGS', path: 'topics.findings' },
  { env: 'VIGIL_TOPIC_PARTITIONS', path: 'topics.partitions', kind: 'number' },
  { env: 'VIGIL_FINDINGS_ENCODING', path: 'findings.encoding' },
  { env: 'DETECTOR_GROUP_ID', path: 'consumer.groupId' },
  { env: 'DETECTOR_START', path: 'consumer.start' },
  { env: 'DETECTOR_CHECKPOINT_INTERVAL_MS', path: 'consumer.checkpointIntervalMs', kind: 'number' },
  { env: 'DETECTOR_SLICE_MS', path: 'consumer.sliceMs', kind: 'number' },
];

export function loadDetectorConfig(env: Env) {
  return loadConfig(detectorServiceSchema, { env, file: env.VIGIL_CONFIG, bindings: detectorBindings });
}
