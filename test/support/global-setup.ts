import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/**
 * Installs the receivers the tests start themselves (stack.sh tools), and
 * brings the local stack (Kafka, schema registry, Redis) up once per run.
 * It is stopped at the end only if this run started it, so a developer's
 * running stack is left alone. Set KAFKA_BROKERS / SCHEMA_REGISTRY_URL /
 * REDIS_URL to test against your own services instead.
 */
const repo = fileURLToPath(new URL('../../', import.meta.url));
const stackScript = fileURLToPath(new URL('../../deploy/local/stack.sh', import.meta.url));

export interface StackEnv {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  REDIS_URL: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEnv;
  }
}

function stack(verb: string, inherit = false) {
  return spawnSync('bash', [stackScript, verb], { cwd: repo, encoding: 'utf8', stdio: inherit ? 'inherit' : 'pipe', env: process.env });
}

export default function setup(project: TestProject): () => void {
  if (stack('tools', true).status !== 0) throw new Error('the test tools could not be installed (see the output above)');
  const wasUp = stack('status').status === 0;
  if (!wasUp) {
    const up = stack('up', true);
    if (up.status !== 0) throw new Error('the local stack did not come up (see the output above)');
  }
  const envText = stack('env').stdout;
  const env = Object.fromEntries(
    envText
      .split('\n')
      .map((l) => /^(?:export\s+)?([A-Z_]+)=["']?([^"'\n]*)["']?$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Partial<StackEnv>;
  for (const k of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL'] as const) {
    if (!env[k]) throw new Error(`stack.sh env did not print ${k}`);
  }
  project.provide('stack', env as StackEnv);
  return () => {
    if (!wasUp && process.env.VIGIL_KEEP_STACK !== '1') stack('down', true);
  };
}
