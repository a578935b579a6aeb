import { z } from 'zod';
import { commonBindings, commonSchemas, loadConfig, type Env } from '@vigil/config';
import { defaultTopics } from '@vigil/contracts';

export const demoConfigSchema = z
  .object({
    kafka: commonSchemas.kafka,
    schemaRegistry: commonSchemas.schemaRegistry,
    redis: commonSchemas.redis,
    log: commonSchemas.log,
    topics: z.object({ transactions: z.string().min(1).default(defaultTopics.transactions) }).strict().default({}),
    events: z.number().int().min(2).max(1000).default(6),
  })
  .strict();

export type DemoConfig = z.output<typeof demoConfigSchema>;

export function loadDemoConfig(env: Env) {
  return loadConfig(demoConfigSchema, {
    env,
    file: env.VIGIL_CONFIG,
    bindings: [
      ...commonBindings,
      { env: 'VIGIL_TOPIC_TRANSACTIONS', path: 'topics.transactions' },
      { env: 'VIGIL_DEMO_EVENTS', path: 'events', kind: 'number' },
    ],
  });
}
