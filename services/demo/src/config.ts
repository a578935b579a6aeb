import { z } from 'zod';
import { commonBindings, commonSchemas, loadConfig, type Env } from '@vigil/config';

export const demoConfigSchema = z
  .object({
    kafka: commonSchemas.kafka,
    schemaRegistry: commonSchemas.schemaRegistry,
    redis: commonSchemas.redis,
    log: commonSchemas.log,
    /** The simulator scenario the demo plays (vigil simulate --list). */
    scenario: z.string().min(1).default('demo'),
    /** Event time per wall-clock time: 60 plays an hour of traffic in a minute. */
    speed: z.number().min(1).max(10_000).default(60),
  })
  .strict();

export type DemoConfig = z.output<typeof demoConfigSchema>;

export function loadDemoConfig(env: Env) {
  return loadConfig(demoConfigSchema, {
    env,
    file: env.VIGIL_CONFIG,
    bindings: [...commonBindings, { env: 'VIGIL_DEMO_SCENARIO', path: 'scenario' }, { env: 'VIGIL_DEMO_SPEED', path: 'speed', kind: 'number' }],
  });
}
