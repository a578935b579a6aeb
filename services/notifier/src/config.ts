import { z } from 'zod';
import { commonBindings, commonSchemas, consumerFields, loadConfig, topicCreationFields, type EnvBinding, type Env } from '@vigil/config';
import { defaultTopics } from '@vigil/contracts';

/** The notifier's process config. The escalation rules live in their own file (`escalation.file`), reloaded on change. */
export const notifierServiceSchema = z
  .object({
    kafka: commonSchemas.kafka,
    schemaRegistry: commonSchemas.schemaRegistry,
    redis: commonSchemas.redis,
    log: commonSchemas.log,
    /** /metrics, /healthz, /readyz. */
    http: commonSchemas.http.default({ port: 9465 }),
    topics: z
      .object({
        findings: z.string().min(1).default(defaultTopics.findings),
        incidents: z.string().min(1).default(defaultTopics.incidents),
        ...topicCreationFields,
      })
      .strict()
      .default({}),
    /** With start 'earliest', a new group replays the findings topic; replays are absorbed (nothing is sent twice). */
    consumer: z.object(consumerFields('vigil-notifier')).strict().default({}),
    escalation: z
      .object({
        /** The escalation config (YAML or JSON); defaults apply when absent. */
        file: z.string().min(1).optional(),
        /** How often the file is checked for changes. */
        reloadCheckMs: z.number().int().min(100).max(60_000).default(1000),
      })
      .strict()
      .default({}),
    // Absent is the same as empty, so a missing token is reported as api.token.
    api: z.preprocess(
      (v) => v ?? {},
      z.object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9470),
        /** Bearer token for every request (NOTIFIER_API_TOKEN or NOTIFIER_API_TOKEN_FILE). */
        token: z.string().min(16, 'the API token must be at least 16 characters'),
        /** Optional read-only token (NOTIFIER_API_READ_TOKEN or _FILE): GET requests only, for viewers of the console. */
        readToken: z.string().min(16, 'the read-only API token must be at least 16 characters').optional(),
        maxBodyBytes: z.number().int().min(256).max(1024 * 1024).default(16 * 1024),
        /** After `failures` failed authentications from one address within `windowMs`, it is answered 429 for `blockMs`; at most `maxAddresses` are tracked. */
        lockout: z
          .object({
            failures: z.number().int().min(1).max(10_000).default(10),
            windowMs: z.number().int().min(1000).max(86_400_000).default(60_000),
            blockMs: z.number().int().min(1000).max(86_400_000).default(300_000),
            maxAddresses: z.number().int().min(1).max(1_000_000).default(10_000),
          })
          .strict()
          .default({}),
      })
      .strict()
      // One token for both roles would make every viewer an operator.
      .refine((a) => a.readToken === undefined || a.readToken !== a.token, { message: 'the read-only API token must differ from the API token', path: ['readToken'] }),
    ),
    delivery: z
      .object({
        /** How often the outbox is polled (a new notification also wakes the loop at once). */
        pollMs: z.number().int().min(10).max(60_000).default(250),
        claimLimit: z.number().int().min(1).max(10_000).default(1000),
        /** A claimed entry is held this long; if the notifier dies, it comes due again after. */
        leaseMs: z.number().int().min(1000).default(60_000),
        maxAttempts: z.number().int().min(1).max(1000).default(20),
        /** Backoff of failed sends: initial, cap, factor (full jitter). */
        backoffInitialMs: z.number().int().min(10).default(1000),
        backoffMaxMs: z.number().int().min(100).default(300_000),
      })
      .strict()
      .default({}),
    /** How often open incidents are checked for timeouts, repeats and resolution. */
    tickMs: z.number().int().min(100).max(60_000).default(1000),
  })
  .strict();

export type NotifierServiceConfig = z.output<typeof notifierServiceSchema>;

export const notifierBindings: readonly EnvBinding[] = [
  ...commonBindings,
  { env: 'VIGIL_TOPIC_FINDINGS', path: 'topics.findings' },
  { env: 'VIGIL_TOPIC_INCIDENTS', path: 'topics.incidents' },
  { env: 'VIGIL_TOPIC_PARTITIONS', path: 'topics.partitions', kind: 'number' },
  { env: 'NOTIFIER_GROUP_ID', path: 'consumer.groupId' },
  { env: 'NOTIFIER_START', path: 'consumer.start' },
  { env: 'NOTIFIER_ESCALATION_FILE', path: 'escalation.file' },
  { env: 'NOTIFIER_API_HOST', path: 'api.host' },
  { env: 'NOTIFIER_API_PORT', path: 'api.port', kind: 'number' },
  { env: 'NOTIFIER_API_TOKEN', path: 'api.token', secret: true },
  { env: 'NOTIFIER_API_READ_TOKEN', path: 'api.readToken', secret: true },
];

export function loadNotifierConfig(env: Env) {
  return loadConfig(notifierServiceSchema, { env, file: env.VIGIL_CONFIG, bindings: notifierBindings });
}
