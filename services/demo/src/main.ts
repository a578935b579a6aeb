import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec, createSchemaRegistry, findingContract, incidentContract, tiers, transactionContract, transactionKey, type Tier } from '@vigil/contracts';
import { buildDetector } from '@vigil/detector';
import { defaultDetectorsConfig } from '@vigil/detectors';
import { createKafkaClient, type Consumer } from '@vigil/kafka';
import { buildNotifier, createEscalationSource } from '@vigil/notifier';
import { closeRedis, connectRedis, createRedis } from '@vigil/redis';
import { paced, simulate } from '@vigil/simulator';
import { RedisStateStore, saveThreatsDocument } from '@vigil/state';
import { createLogger, createMetricsRegistry } from '@vigil/telemetry';
import { loadDemoConfig } from './config.js';
import { startSink } from './sink.js';
import { createView } from './view.js';

/**
 * The README demo: the detector and the notifier run against the real local
 * stack while the simulator plays a morning of API traffic with five attacks
 * at ×60. Findings and incidents appear as they happen, with their tier; a
 * local webhook receiver shows what would have reached the team channel and
 * the pager. It ends by itself when the morning is over (about five
 * minutes), or on Ctrl-C, and leaves nothing running.
 */
async function main(): Promise<number> {
  const config = loadDemoConfig(process.env);
  const view = createView(process.stdout.isTTY === true && !process.env.NO_COLOR);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const run = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  // The services log to a file: the terminal is for the story.
  const servicesLog = join(dir, 'services.log');
  const logger = createLogger({ service: 'demo', level: config.log.level === 'info' ? 'warn' : config.log.level, destination: createWriteStream(servicesLog) });
  const topics = { transactions: `demo-${run}.transactions`, dlq: `demo-${run}.transactions.dlq`, findings: `demo-${run}.findings`, incidents: `demo-${run}.incidents` };
  const prefix = `demo-${run}`;

  const sim = simulate({ scenario: config.scenario });
  out(view.heading(`vigil demo: ${config.scenario} at ×${config.speed}`));
  out(view.step(`${sim.events.length.toLocaleString('en')} API calls from ${new Date(sim.start).toISOString().slice(11, 16)} to ${new Date(sim.end).toISOString().slice(11, 16)} (simulated, UTC); the attacks: ${[...new Set(sim.labels.map((l) => l.scenario))].join(', ')}`));

  const pages: string[] = [];
  const sink = await startSink((d) => {
    const line = `${d.path === '/page' ? 'pager' : 'team channel'} got ${d.body.kind}${d.body.count ? ` of ${d.body.count}` : ''}: ${d.body.incident.title}`;
    if (d.path === '/page') pages.push(line);
    out(view.page(line));
  });
  writeFileSync(
    join(dir, 'escalation.json'),
    JSON.stringify({
      notify: { findings: 3, withinMs: 600_000, minSeverity: 'high' },
      tiers: { notify: ['team'], wake_up: ['pager'] },
      rateLimitPerMinute: 30,
      channels: { team: { type: 'webhook', url: `${sink.url}/notify` }, pager: { type: 'webhook', url: `${sink.url}/page` } },
    }),
  );

  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: 'vigil-demo', ssl: config.kafka.ssl, sasl: config.kafka.sasl }, logger);
  const admin = await kafka.admin();
  await admin.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 3 })));
  const redis = createRedis({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectionName: 'vigil-demo' });
  await connectRedis(redis);
  await saveThreatsDocument(redis, prefix, sim.threats);
  const registry = createSchemaRegistry({ url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password });

  const detector = buildDetector({
    kafka,
    registry,
    store: new RedisStateStore({ redis, prefix }),
    redis,
    redisPrefix: prefix,
    logger,
    metrics: createMetricsRegistry('demo-detector', { defaultMetrics: false }),
    topics,
    groupId: `demo-${run}-detector`,
    fromBeginning: true,
    detectors: defaultDetectorsConfig,
  });
  const notifier = buildNotifier({
    kafka,
    registry,
    redis,
    redisPrefix: prefix,
    escalation: createEscalationSource({ file: join(dir, 'escalation.json'), env: {}, checkMs: 1000, logger }),
    logger,
    metrics: createMetricsRegistry('demo-notifier', { defaultMetrics: false }),
    topics,
    groupId: `demo-${run}-notifier`,
    fromBeginning: true,
    api: { token: randomBytes(16).toString('hex'), maxBodyBytes: 16_384 },
    delivery: { pollMs: 100, claimLimit: 1000, leaseMs: 30_000, maxAttempts: 20, backoffInitialMs: 500, backoffMaxMs: 10_000 },
    tickMs: 1000,
  });

  const findingCodec = createCodec(findingContract, { topic: topics.findings });
  const incidentCodec = createCodec(incidentContract, { topic: topics.incidents });
  const counts = { events: 0, findings: 0, tiers: Object.fromEntries(tiers.map((t) => [t, 0])) as Record<Tier, number> };
  const incidentTier = new Map<string, Tier>();
  const watchers: Consumer[] = [
    kafka.consumer({
      groupId: `demo-${run}-view-findings`,
      topics: [topics.findings],
      fromBeginning: true,
      eachBatch: async (b) => {
        for (const m of b.messages) {
          counts.findings++;
          out(view.finding(await findingCodec.decode(m.value)));
        }
      },
    }),
    kafka.consumer({
      groupId: `demo-${run}-view-incidents`,
      topics: [topics.incidents],
      fromBeginning: true,
      eachBatch: async (b) => {
        for (const m of b.messages) {
          const i = await incidentCodec.decode(m.value);
          if (i.change === 'updated') continue;
          const before = incidentTier.get(i.id);
          if (before !== undefined) counts.tiers[before]--;
          incidentTier.set(i.id, i.tier);
          counts.tiers[i.tier]++;
          out(view.incident(i));
        }
      },
    }),
  ];

  const stop = new AbortController();
  const onSignal = () => {
    out(view.step('stopping (Ctrl-C)'));
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await detector.start();
    await notifier.start();
    await Promise.all(watchers.map((w) => w.start()));
    await Promise.all([detector.joined(), notifier.joined(), ...watchers.map((w) => w.joined())]);
    out(view.ok(`detector and notifier running on Kafka ${config.kafka.brokers.join(',')} and Redis; topics demo-${run}.*`));
    out(view.heading('findings (severity, detector) and incidents (tier) as they happen'));

    const producer = await kafka.producer();
    const codec = createCodec(transactionContract, { registry, topic: topics.transactions });
    let lastProgress = 0;
    await paced(
      sim,
      config.speed,
      async (events) => {
        await producer.send(topics.transactions, await Promise.all(events.map(async (e, i) => ({ key: transactionKey(e), value: await codec.encode(e, i % 4 === 0 ? 'avro' : 'json') }))));
        counts.events += events.length;
        if (Date.now() - lastProgress > 15_000) {
          lastProgress = Date.now();
          out(view.progress({ at: events[events.length - 1]!.timestamp, ...counts }));
        }
      },
      stop.signal,
    );
    await producer.disconnect();
    // Let the last batches through the detector and the notifier.
    const settleUntil = Date.now() + 15_000;
    while (!stop.signal.aborted && Date.now() < settleUntil) {
      await notifier.drain();
      const lag = await admin.lag(`demo-${run}-detector`, topics.transactions);
      if (lag.every((p) => p.lag === 0) && Date.now() > settleUntil - 10_000) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(watchers.map((w) => w.stop().catch(() => undefined)));
    await notifier.stop().catch(() => undefined);
    await detector.stop().catch(() => undefined);
    await admin.deleteTopics(Object.values(topics)).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    // The demo's own keys (a local, single-node Redis: KEYS is fine here).
    const keys = await redis.keys(`${prefix}:*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    await closeRedis(redis);
    await sink.close();
  }

  out(view.heading('summary'));
  out(view.progress({ at: sim.end, ...counts }));
  out(view.step(`the pager rang ${pages.length} times; the team channel got ${sink.deliveries.length - pages.length} messages`));
  out(view.step(`the services' own log: ${servicesLog}`));
  const missing = tiers.filter((t) => counts.tiers[t] === 0);
  if (stop.signal.aborted) return 0;
  if (missing.length > 0) {
    out(view.bad(`no incident reached ${missing.join(', ')}`));
    return 1;
  }
  out(view.ok('incidents reached every tier: log, notify and wake up'));
  rmSync(join(dir, 'escalation.json'), { force: true });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`demo failed: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  },
);
