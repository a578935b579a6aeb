import { randomBytes } from 'node:crypto';
import { createCodec, createSchemaRegistry, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { isVigilError } from '@vigil/errors';
import { createKafkaClient } from '@vigil/kafka';
import { closeRedis, connectRedis, createKeyspace, createRedis } from '@vigil/redis';
import { createLogger } from '@vigil/telemetry';
import { loadDemoConfig } from './config.js';
import { demoEvents } from './events.js';
import { createView } from './view.js';

/**
 * The README demo, today: publish a few ApiTransaction events to the real
 * Kafka, half as JSON and half as Confluent-framed Avro registered in the
 * real schema registry, read them back in a consumer group, print them
 * decoded, and show what a malformed message turns into.
 */
async function main(): Promise<void> {
  const config = loadDemoConfig(process.env);
  const logger = createLogger({ service: 'demo', level: config.log.level === 'info' ? 'warn' : config.log.level });
  const view = createView(process.stdout.isTTY === true && !process.env.NO_COLOR);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const topic = config.topics.transactions;

  out(view.heading('vigil demo: events in both encodings through the local stack'));
  out(view.step(`Kafka ${config.kafka.brokers.join(',')}  ·  schema registry ${config.schemaRegistry.url}  ·  Redis ${config.redis.url.replace(/\/\/[^@]*@/, '//***@')}`));

  const redis = createRedis({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectionName: 'vigil-demo' });
  await connectRedis(redis);
  const runKey = createKeyspace(config.redis.keyPrefix).key('demo', 'runs');
  const run = await redis.incr(runKey);
  await redis.pexpire(runKey, 24 * 3600 * 1000);
  out(view.ok(`Redis answers (demo run #${run}, counted in ${runKey})`));
  await closeRedis(redis);

  const kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: 'vigil-demo', ssl: config.kafka.ssl, sasl: config.kafka.sasl }, logger);
  const admin = await kafka.admin();
  await admin.ensureTopics([{ topic, partitions: 3 }]);
  const registry = createSchemaRegistry({ url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password });
  const codec = createCodec(transactionContract, { registry, topic });

  const events = demoEvents(config.events, Date.now(), randomBytes(3).toString('hex'));
  const producer = await kafka.producer();
  const messages = await Promise.all(
    events.map(async (e, i) => ({ key: e.principal ?? e.clientIp ?? e.clientId ?? e.api, value: await codec.encode(e, i % 2 === 0 ? 'json' : 'avro') })),
  );
  const badId = `bad-${events[0]!.id}`;
  const malformed = Buffer.from(JSON.stringify({ id: badId, timestamp: new Date().toISOString(), direction: 'inbound', api: 'accounts', method: 'GET', path: '/x', status: 'OK', latencyMs: 3 }));
  await producer.send(topic, [...messages, { key: badId, value: malformed }]);
  await producer.disconnect();
  out(view.ok(`published ${messages.length} events to ${topic} (${messages.filter((m) => m.value[0] === 0).length} Avro, ${messages.filter((m) => m.value[0] !== 0).length} JSON) and 1 malformed message`));

  const wanted = new Set(events.map((e) => e.id).concat(badId));
  const seen: string[] = [];
  out(view.heading(`reading them back from ${topic}`));
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = kafka.consumer({
    groupId: `vigil-demo-${randomBytes(4).toString('hex')}`,
    topics: [topic],
    fromBeginning: true, // a fresh group reads the topic; events of earlier runs are skipped by id
    eachBatch: async (batch) => {
      for (const m of batch.messages) {
        const key = m.key?.toString() ?? '';
        try {
          const e: ApiTransaction = await codec.decode(m.value);
          if (!wanted.has(e.id)) continue;
          seen.push(e.id);
          out(view.event(e, { encoding: codec.sniff(m.value!) ?? '?', partition: m.partition, offset: m.offset, key }));
        } catch (err) {
          if (key !== badId) continue;
          seen.push(badId);
          out(view.bad(isVigilError(err) ? `${err.code}: ${err.message}  (this message would go to the dead-letter topic)` : String(err)));
        }
      }
      if (seen.length >= wanted.size) done();
    },
  });
  await consumer.start();
  const timeout = setTimeout(() => done(), 30_000);
  await finished;
  clearTimeout(timeout);
  await consumer.stop();
  await admin.disconnect();

  if (seen.length < wanted.size) {
    out(view.bad(`only ${seen.length} of ${wanted.size} messages came back within 30 s`));
    process.exitCode = 1;
    return;
  }
  out(view.heading('done'));
  out(view.ok(`${events.length} events decoded and validated, 1 malformed message refused with a typed error naming its field`));
  out(view.step('next: the detector and notifier services turn these events into findings and pages'));
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`demo failed: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
  process.exitCode = 1;
});
