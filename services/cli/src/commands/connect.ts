import { z } from 'zod';
import { commonBindings, commonSchemas, loadConfig, topicCreationFields, type Env, type EnvBinding } from '@vigil/config';
import { createSchemaRegistry, defaultTopics, type SchemaRegistryClient } from '@vigil/contracts';
import { createKafkaClient, type KafkaClient, type Producer } from '@vigil/kafka';
import { createLogger } from '@vigil/telemetry';

/**
 * What `vigil publish`, `vigil tail` and `vigil simulate --kafka` read of the services' configuration:
 * Kafka, the schema registry and the topics' names, from the same variables
 * and VIGIL_CONFIG file as the services (the file's other sections, a
 * service's own, are ignored).
 */
const cliSchema = z.object({
  kafka: commonSchemas.kafka,
  schemaRegistry: commonSchemas.schemaRegistry,
  log: commonSchemas.log,
  topics: z
    .object({
      transactions: z.string().min(1).default(defaultTopics.transactions),
      findings: z.string().min(1).default(defaultTopics.findings),
      incidents: z.string().min(1).default(defaultTopics.incidents),
      ...topicCreationFields,
    })
    .default({}),
});

const cliBindings: readonly EnvBinding[] = [
  ...commonBindings.filter((b) => b.path.startsWith('kafka.') || b.path.startsWith('schemaRegistry.') || b.path.startsWith('log.')),
  { env: 'VIGIL_TOPIC_TRANSACTIONS', path: 'topics.transactions' },
  { env: 'VIGIL_TOPIC_FINDINGS', path: 'topics.findings' },
  { env: 'VIGIL_TOPIC_INCIDENTS', path: 'topics.incidents' },
  { env: 'VIGIL_TOPIC_PARTITIONS', path: 'topics.partitions', kind: 'number' },
];

export type CliConfig = ReturnType<typeof loadCliConfig>;

export function loadCliConfig(env: Env) {
  return loadConfig(cliSchema, { env, file: env.VIGIL_CONFIG, bindings: cliBindings });
}

export interface CliConnections {
  config: CliConfig;
  kafka: KafkaClient;
  registry: SchemaRegistryClient;
}

/**
 * The Kafka client (connecting nothing yet) and the registry client of a CLI command. Its log lines go to
 * stderr (stdout carries the command's output), at `warn` unless LOG_LEVEL says otherwise.
 */
export function connectionsFor(command: string, env: Env): CliConnections {
  const config = loadCliConfig(env);
  const logger = createLogger({ service: command, level: env.LOG_LEVEL ? config.log.level : 'warn', destination: process.stderr });
  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-${command}`, ssl: config.kafka.ssl, sasl: config.kafka.sasl }, logger);
  const registry = createSchemaRegistry({ url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password });
  return { config, kafka, registry };
}

/** A producer for `topic`, which is created first when missing (unless `topics.create` is off), as the services create theirs. */
export async function topicProducer(c: CliConnections, topic: string): Promise<Producer> {
  if (c.config.topics.create) {
    const admin = await c.kafka.admin();
    try {
      await admin.ensureTopics([{ topic, partitions: c.config.topics.partitions }]);
    } finally {
      await admin.disconnect();
    }
  }
  return c.kafka.producer();
}
