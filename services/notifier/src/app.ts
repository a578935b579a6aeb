import { setTimeout as sleep } from 'node:timers/promises';
import { createCodec, findingContract, incidentStates, tiers, type Finding, type SchemaRegistryClient } from '@vigil/contracts';
import { DecodeError } from '@vigil/errors';
import type { Batch, Consumer, KafkaClient, Producer } from '@vigil/kafka';
import { Outbox } from '@vigil/outbox';
import { createConfirmationStore, createSilenceStore, createSuppressionStore, RecordWatcher } from '@vigil/records';
import type { RedisClient } from '@vigil/redis';
import type { Logger, Registry } from '@vigil/telemetry';
import { buildApi } from './api.js';
import { redisInventory } from './api-inventory.js';
import { redisTraffic } from './api-traffic.js';
import type { LockoutOptions } from './api-guard.js';
import { createDelivery } from './delivery.js';
import { createEscalator } from './escalator.js';
import type { EscalationSource } from './escalation-source.js';
import { createNotifierMetrics } from './metrics.js';
import { IncidentStore, NOTIFIER_SLOT } from './store.js';

export interface NotifierDeps {
  kafka: KafkaClient;
  registry?: SchemaRegistryClient;
  redis: RedisClient;
  redisPrefix: string;
  escalation: EscalationSource;
  logger: Logger;
  metrics: Registry;
  topics: { findings: string; incidents: string };
  groupId: string;
  fromBeginning: boolean;
  api: { token: string; readToken?: string; maxBodyBytes: number; lockout?: Partial<LockoutOptions> };
  delivery: { pollMs: number; claimLimit: number; leaseMs: number; maxAttempts: number; backoffInitialMs: number; backoffMaxMs: number };
  tickMs: number;
  /** Wall clock for timeouts, repeats, quiet hours and rate limits (tests move it). */
  clock?: () => number;
  /** How often suppressions and silences are re-read (they also refresh at once after an API change). */
  recordsRefreshMs?: number;
}

export interface NotifierService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Binds the HTTP API; returns its address. */
  listenApi(port: number, host?: string): Promise<{ port: number; address: string }>;
  joined(): Promise<void>;
  live(): boolean;
  /** One delivery pass and one tick, now (tests). */
  drain(): Promise<void>;
}

/**
 * Builds the notifier from its dependencies (connects nothing). A consumer
 * group on the findings topic feeds the escalator; a delivery loop empties
 * the outbox into Kafka (incident changes) and the channels; a tick loop
 * moves time forward for open incidents; the HTTP API acts on incidents.
 */
export function buildNotifier(deps: NotifierDeps): NotifierService {
  const log = deps.logger.child({ component: 'notifier' });
  const clock = deps.clock ?? Date.now;
  const m = createNotifierMetrics(deps.metrics);
  deps.escalation.onReload((result) => m.configReloads.labels(result).inc());
  const codec = createCodec(findingContract, { registry: deps.registry, topic: deps.topics.findings });
  const store = new IncidentStore({ redis: deps.redis, prefix: deps.redisPrefix });
  const outbox = new Outbox({
    redis: deps.redis,
    prefix: deps.redisPrefix,
    slot: NOTIFIER_SLOT,
    leaseMs: deps.delivery.leaseMs,
    maxAttempts: deps.delivery.maxAttempts,
    backoff: { initialMs: deps.delivery.backoffInitialMs, maxMs: deps.delivery.backoffMaxMs, factor: 2 },
  });
  const suppressionStore = createSuppressionStore(deps.redis, deps.redisPrefix);
  const silenceStore = createSilenceStore(deps.redis, deps.redisPrefix);
  const confirmations = createConfirmationStore(deps.redis, deps.redisPrefix);
  const onWatchError = (what: string) => (err: unknown) => log.warn({ err }, `could not refresh ${what}; using the last copy`);
  const suppressions = new RecordWatcher({ store: suppressionStore, refreshMs: deps.recordsRefreshMs, now: clock, onError: onWatchError('suppressions'), onChange: (n) => m.suppressions.set(n) });
  const silences = new RecordWatcher({ store: silenceStore, refreshMs: deps.recordsRefreshMs, now: clock, onError: onWatchError('silences') });

  let wake: (() => void) | undefined;
  const kick = () => wake?.();
  const escalator = createEscalator({ store, outbox, suppressions, silences, config: () => deps.escalation.get().config, clock, logger: deps.logger, metrics: m, kick });
  const api = buildApi({ token: deps.api.token, readToken: deps.api.readToken, maxBodyBytes: deps.api.maxBodyBytes, lockout: deps.api.lockout, escalator, store, suppressions: { store: suppressionStore, watcher: suppressions }, silences: { store: silenceStore, watcher: silences }, confirmations, inventory: redisInventory(deps.redis, deps.redisPrefix), traffic: redisTraffic(deps.redis, deps.redisPrefix), clock, logger: deps.logger, metrics: m });

  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let running = false;
  let crashed = false;
  const loops: Promise<void>[] = [];

  async function handleBatch(batch: Batch): Promise<void> {
    for (const message of batch.messages) {
      const receivedAt = Date.now();
      let finding: Finding;
      try {
        finding = await codec.decode(message.value);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err; // the registry is down: retry the batch
        m.findings.labels('invalid').inc();
        log.warn({ err, partition: batch.partition, offset: message.offset }, 'skipping a finding that does not decode');
        continue;
      }
      m.findings.labels(await escalator.applyFinding(finding, receivedAt)).inc();
    }
  }

  async function tickOnce(): Promise<void> {
    const counts = await escalator.tickAll();
    for (const t of tiers) for (const s of incidentStates) if (s !== 'resolved') m.incidents.labels(t, s).set(counts.get(`${t}|${s}`) ?? 0);
    m.outboxDepth.set(await outbox.depth());
    m.outboxDead.set((await outbox.dead()).length);
  }

  const delivery = () =>
    createDelivery({
      outbox,
      redis: deps.redis,
      prefix: deps.redisPrefix,
      producer: producer!,
      incidentsTopic: deps.topics.incidents,
      channels: () => deps.escalation.get().channels,
      rateLimitPerMinute: () => deps.escalation.get().config.rateLimitPerMinute,
      clock,
      logger: deps.logger,
      metrics: m,
      claimLimit: deps.delivery.claimLimit,
      stopping: () => !running,
    });
  let deliverer: ReturnType<typeof createDelivery> | undefined;

  async function loop(name: string, everyMs: number, body: () => Promise<number | void>): Promise<void> {
    while (running) {
      let busy = false;
      try {
        busy = ((await body()) ?? 0) > 0;
      } catch (err) {
        log.warn({ err, loop: name }, `${name} pass failed; trying again`);
      }
      if (busy || !running) continue;
      const ac = new AbortController();
      if (name === 'delivery') wake = () => ac.abort();
      await sleep(everyMs, undefined, { signal: ac.signal }).catch(() => undefined);
    }
  }

  return {
    live: () => !crashed,
    joined: () => (consumer ? consumer.joined() : Promise.reject(new Error('not started'))),
    async listenApi(port, host) {
      const a = await api.listen(port, host);
      return { port: a.port, address: a.address };
    },
    async drain() {
      await deliverer?.deliverOnce();
      await tickOnce();
      await deliverer?.deliverOnce();
    },
    async start() {
      await Promise.all([suppressions.start(), silences.start()]);
      deps.escalation.watch();
      producer = await deps.kafka.producer();
      deliverer = delivery();
      running = true;
      loops.push(loop('delivery', deps.delivery.pollMs, () => deliverer!.deliverOnce()));
      loops.push(loop('tick', deps.tickMs, tickOnce));
      consumer = deps.kafka.consumer({
        groupId: deps.groupId,
        topics: [deps.topics.findings],
        fromBeginning: deps.fromBeginning,
        onCrash: (err) => {
          crashed = true;
          log.fatal({ err }, 'consumer stopped for good');
        },
        // A throw fails the batch: the kafka library logs it and the batch is fetched again.
        eachBatch: handleBatch,
      });
      await consumer.start();
      log.info({ topic: deps.topics.findings, groupId: deps.groupId }, 'notifier consuming');
    },
    async stop() {
      await consumer?.stop();
      running = false;
      wake?.();
      await Promise.all(loops.splice(0));
      deps.escalation.stop();
      suppressions.stop();
      silences.stop();
      await api.close();
      await producer?.disconnect();
      log.info('notifier stopped');
    },
  };
}
