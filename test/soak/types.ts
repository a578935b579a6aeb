/** The soak's options, the samples it takes and the report it returns (see soak-rig.ts). */

export interface SoakOptions {
  /** Length of the steady load (the drain and shutdown come after). */
  minutes: number;
  /** Events a second, held steady. */
  rate: number;
  /** Seconds between samples (default: the run's length / 60, between 5 and 30). */
  sampleEverySeconds?: number;
  /**
   * Share of the run before the growth is measured (default: the first half,
   * 45 minutes of event time at the default time scale: the subjects'
   * 30-minute windows have filled, with a margin).
   */
  warmupFraction?: number;
  /**
   * Event time advances this many times faster than the wall clock. Default:
   * 90 minutes of event time over the run (3 for 30 minutes, 45 for 2), 1 for
   * runs of 90 minutes or more (see soak-rig.ts).
   */
  timeScale?: number;
  /** Share of messages that are malformed (default 0.002) and that are Confluent-framed Avro (default 0.1). */
  malformedShare?: number;
  avroShare?: number;
  /** Seconds (wall) between attacks (default 60, at most a sixth of the run). */
  attackEverySeconds?: number;
  partitions?: number;
  kafkaBrokers?: string;
  schemaRegistryUrl?: string;
  /** The stack's Redis, without a database (the soak uses `redisDb` for its own keys). */
  redisUrl?: string;
  redisDb?: number;
  /** Where the processes' logs go (default: a temporary directory, deleted unless keepLogs). */
  logDir?: string;
  keepLogs?: boolean;
  /** Keep the soak's Redis keys and topics after the run (for a look afterwards). */
  keepState?: boolean;
  /** Log level of the two processes (default info). */
  logLevel?: string;
  /**
   * Start both processes with --trace-gc (default true): the heap after each
   * full collection (the live heap) is read from their logs. RSS only levels
   * off once V8 has sized its heap for the load, which takes several minutes;
   * runs shorter than 10 minutes are judged on the live heap instead.
   */
  traceGc?: boolean;
  /** NODE_OPTIONS for both processes (say --max-old-space-size=384, as a container limit would set). */
  nodeOptions?: string;
  /** Progress lines (stderr by default). */
  note?: (line: string) => void;
  /** The secrets the processes are configured with (random ones by default); none may reach a log line. */
  secrets?: Partial<SoakSecrets>;
  /** Ends the load early (Ctrl-C): the run drains, reports and cleans up as if it had ended. */
  signal?: AbortSignal;
}

export interface SoakSecrets {
  /** The webhook channel's HMAC key, from a file ({ file: … } in the escalation config). */
  webhookSecret: string;
  /** Tokens in the webhook's and Slack's URLs, from the environment ({ env: … }). */
  webhookUrlToken: string;
  slackUrlToken: string;
  /** The PagerDuty routing key (32 characters), from the environment. */
  pagerDutyKey: string;
  /** The notifier's API bearer token (NOTIFIER_API_TOKEN). */
  apiToken: string;
  /** SCHEMA_REGISTRY_PASSWORD. */
  registryPassword: string;
  /** The password in REDIS_URL (a Redis ACL user made for the run). */
  redisPassword: string;
}

export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  produced: number;
  consumed: number;
  /** Committed offsets of the detector's group behind the topic's end. */
  lag: number;
  findings: number;
  deadLetters: number;
  detectorRssMB: number;
  detectorHeapMB: number;
  detectorHeapTotalMB: number;
  detectorExternalMB: number;
  notifierRssMB: number;
  notifierHeapMB: number;
  notifierFindings: number;
  notifications: number;
  /** The shared Redis server's used_memory (other users' keys included). */
  redisUsedMB: number;
  /** The soak's own keys: how many, and their MEMORY USAGE summed, in total and by family. */
  soakKeys: number;
  soakRedisMB: number;
  soakRedisByFamily: Record<string, number>;
  soakKeysByFamily: Record<string, number>;
  /** The largest key of each family, bytes. */
  soakMaxKeyByFamily: Record<string, number>;
  /** Families capped in entries per key (ENTRY_CAPPED): entries in all their keys, and in their fullest key. */
  soakEntriesByFamily: Record<string, number>;
  soakMaxEntriesByFamily: Record<string, number>;
  /** Soak keys without a TTL, by family (a key that grows with traffic must have a TTL or a cap). */
  soakKeysWithoutTtl: Record<string, number>;
}

export interface Growth {
  /** Mean over the samples just after the warm-up, and over the last ones. */
  baseMB: number;
  endMB: number;
  pct: number;
  /** Least-squares slope after the warm-up, per hour. */
  slopeMBPerHour: number;
}

export interface FamilyGrowth {
  baseMB: number;
  endMB: number;
  baseKeys: number;
  endKeys: number;
  baseBytesPerKey: number;
  endBytesPerKey: number;
  /** The family's largest key: a key that grows without a cap shows here, however many keys the family holds. */
  baseMaxKeyBytes: number;
  endMaxKeyBytes: number;
  maxKeyGrowthPct: number;
  /** Families capped in entries per key: the cap, the fullest key seen after the warm-up, and the bytes per entry over the family. */
  entryCap?: number;
  maxEntries?: number;
  baseBytesPerEntry?: number;
  endBytesPerEntry?: number;
  bytesPerEntryGrowthPct?: number;
  /** What the bound is applied to: the largest key's growth, or for entry-capped families the bytes per entry's growth. */
  growthPct: number;
  /** Share of the soak's Redis memory at the end. */
  share: number;
}

export interface SoakReport {
  minutes: number;
  rate: number;
  timeScale: number;
  warmupSeconds: number;
  eventsProduced: number;
  eventsConsumed: number;
  achievedRate: number;
  malformedProduced: number;
  avroProduced: number;
  attacks: number;
  attackEvents: number;
  deadLetters: number;
  findings: number;
  notifierFindings: number;
  notifications: number;
  /** Requests the receiver got, by channel: hook (webhook), slack, pd (PagerDuty). */
  notificationsByChannel: Record<string, number>;
  webhookSignaturesValid: boolean;
  drainSeconds: number;
  lagMax: number;
  lagMaxAfterWarmup: number;
  lagEnd: number;
  /** What the 10% bound on the processes' memory is applied to: RSS (runs of 10 minutes or more), else the live heap. */
  memoryMeasure: 'rss' | 'liveHeap';
  rssGrowthPct: number;
  notifierRssGrowthPct: number;
  /** The heap after full collections (--trace-gc), after the warm-up. */
  liveHeapGrowthPct: number;
  notifierLiveHeapGrowthPct: number;
  /** The soak's Redis memory in total: it grows as TTL'd time buckets accumulate (see redisFamilies). */
  redisGrowthPct: number;
  /**
   * The largest growth over the families holding 5% or more of the soak's Redis memory: of a family's
   * largest key, or for a family capped in entries per key, of its bytes per entry.
   */
  redisKeyGrowthPct: number;
  /** Entry-capped families whose fullest key held more entries than the cap (should be none). */
  redisOverCap: string[];
  /** The most soak keys without a TTL seen in a sample (threats and suppressions excepted). */
  redisKeysWithoutTtl: number;
  /** Per key family, after the warm-up and at the end: MB, keys, bytes per key. */
  redisFamilies: Record<string, FamilyGrowth>;
  detectorRss: Growth;
  detectorHeap: Growth;
  detectorLiveHeap: Growth;
  notifierRss: Growth;
  notifierLiveHeap: Growth;
  /** [seconds, MB] after each full collection. */
  liveHeapMB: { detector: [number, number][]; notifier: [number, number][] };
  soakRedis: Growth;
  samples: SoakSample[];
  logs: { detector: string; notifier: string; lines: number; errorLines: number; secretsFound: string[] };
  exitCodes: { detector: number | null; notifier: number | null };
  redisPassword: boolean;
  problems: string[];
  machine: string;
}
