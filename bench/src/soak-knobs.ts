/**
 * The knobs of `npm run soak`, read from the environment into the soak rig's
 * options (test/soak/types.ts, SoakOptions), which the run reads back as JSON.
 * A knob that is not a positive number throws, naming it.
 */
export interface SoakKnobs {
  minutes: number;
  rate: number;
  sampleEverySeconds?: number;
  warmupFraction?: number;
  timeScale?: number;
  partitions: number;
  traceGc: boolean;
  nodeOptions?: string;
  redisDb?: number;
  kafkaBrokers?: string;
  schemaRegistryUrl?: string;
  redisUrl?: string;
  logDir?: string;
  keepLogs: boolean;
  keepState: boolean;
}

export function soakKnobs(env: NodeJS.ProcessEnv): SoakKnobs {
  const num = (name: string, fallback: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  return {
    minutes: num('SOAK_MINUTES', 30),
    rate: num('SOAK_RATE', 5000),
    sampleEverySeconds: env.SOAK_SAMPLE_SECONDS ? num('SOAK_SAMPLE_SECONDS', 30) : undefined,
    warmupFraction: env.SOAK_WARMUP_FRACTION ? num('SOAK_WARMUP_FRACTION', 1 / 3) : undefined,
    timeScale: env.SOAK_TIME_SCALE ? num('SOAK_TIME_SCALE', 1) : undefined,
    partitions: num('SOAK_PARTITIONS', 6),
    traceGc: env.SOAK_TRACE_GC !== '0',
    nodeOptions: env.SOAK_NODE_OPTIONS,
    redisDb: env.SOAK_REDIS_DB ? Number(env.SOAK_REDIS_DB) : undefined,
    kafkaBrokers: env.KAFKA_BROKERS,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
    redisUrl: env.REDIS_URL,
    logDir: env.SOAK_LOG_DIR,
    keepLogs: env.SOAK_KEEP_LOGS !== '0',
    keepState: env.SOAK_KEEP_STATE === '1',
  };
}
