import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, createSchemaRegistry, transactionContract, transactionKey, type ApiTransaction } from '@vigil/contracts';
import { DecodeError } from '@vigil/errors';
import { createKafkaClient, type Admin, type KafkaClient, type Producer } from '@vigil/kafka';
import { makeTransaction } from '../support/events.js';
import { quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';

describe('ApiTransaction events through the real Kafka and schema registry', () => {
  const logger = quietLogger();
  const topic = uniqueName('it.transactions');
  let kafka: KafkaClient;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    kafka = createKafkaClient({ brokers: stackEnv().KAFKA_BROKERS.split(','), clientId: 'vigil-it' }, logger);
    admin = await kafka.admin();
    await admin.ensureTopics([{ topic, partitions: 3 }]);
    producer = await kafka.producer();
  });

  // Topics are deleted only once the producer is gone: kafkajs keeps every topic it
  // produced to in its metadata requests, and a deleted one fails them all.
  const created = [topic];
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics(created).catch(() => undefined);
    await admin?.disconnect();
  });

  it('1,000 events, half JSON and half registered Avro, come back decoded, validated and equal', async () => {
    const registry = createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL });
    const codec = createCodec(transactionContract, { registry, topic });
    const sent = Array.from({ length: 1000 }, (_, i) => makeTransaction(i));

    const messages = await Promise.all(
      sent.map(async (e, i) => ({ key: transactionKey(e), value: await codec.encode(e, i % 2 === 0 ? 'json' : 'avro') })),
    );
    expect(messages.filter((m) => m.value[0] === 0)).toHaveLength(500);
    for (let i = 0; i < messages.length; i += 200) await producer.send(topic, messages.slice(i, i + 200));

    const received = new Map<string, ApiTransaction>();
    const encodings = { json: 0, avro: 0 };
    const consumer = kafka.consumer({
      groupId: uniqueName('it-group'),
      topics: [topic],
      fromBeginning: true,
      eachBatch: async (batch) => {
        for (const m of batch.messages) {
          encodings[codec.sniff(m.value!)!]++;
          const e = await codec.decode(m.value);
          expect(m.key?.toString()).toBe(transactionKey(e));
          received.set(e.id, e);
        }
      },
    });
    await consumer.start();
    try {
      await waitFor(() => received.size === 1000, '1,000 decoded events', 60_000);
    } finally {
      await consumer.stop();
    }
    expect(encodings).toEqual({ json: 500, avro: 500 });
    expect([...received.values()].sort((a, b) => Number(a.id.slice(4)) - Number(b.id.slice(4)))).toEqual(sent);

    // The Avro schema went to the real registry under <topic>-value.
    const subjects = (await (await fetch(`${stackEnv().SCHEMA_REGISTRY_URL}/subjects`)).json()) as string[];
    expect(subjects).toContain(`${topic}-value`);
  });

  it('the consumer group commits what it processed: lag reaches zero', async () => {
    const groupId = uniqueName('it-lag');
    const lagTopic = uniqueName('it.lag');
    created.push(lagTopic);
    await admin.ensureTopics([{ topic: lagTopic, partitions: 2 }]);
    const codec = createCodec(transactionContract, { topic: lagTopic });
    await producer.send(lagTopic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: codec.encodeJson(makeTransaction(i)) })));
    let seen = 0;
    const consumer = kafka.consumer({ groupId, topics: [lagTopic], fromBeginning: true, eachBatch: async (b) => void (seen += b.messages.length) });
    await consumer.start();
    try {
      await waitFor(() => seen === 50, '50 events', 30_000);
      const lag = await waitFor(async () => {
        const parts = await admin.lag(groupId, lagTopic);
        return parts.every((p) => p.lag === 0 && Number(p.committed) >= 0) ? parts : undefined;
      }, 'committed offsets', 20_000);
      expect(lag.reduce((n, p) => n + Number(p.high), 0)).toBe(50);
    } finally {
      await consumer.stop();
    }
  });

  it('a malformed message read from Kafka yields a typed error naming the bad field', async () => {
    const badTopic = uniqueName('it.malformed');
    created.push(badTopic);
    await admin.ensureTopics([{ topic: badTopic, partitions: 1 }]);
    const codec = createCodec(transactionContract, { registry: createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL }), topic: badTopic });
    const good = JSON.parse(codec.encodeJson(makeTransaction(1)).toString()) as Record<string, unknown>;
    await producer.send(badTopic, [
      { key: 'a', value: JSON.stringify({ ...good, status: 'two hundred' }) },
      { key: 'b', value: JSON.stringify({ ...good, latencyMs: undefined }) },
      { key: 'c', value: '{"id": ' },
      { key: 'd', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]) },
    ]);
    const errors: DecodeError[] = [];
    const consumer = kafka.consumer({
      groupId: uniqueName('it-malformed'),
      topics: [badTopic],
      fromBeginning: true,
      eachBatch: async (batch) => {
        for (const m of batch.messages) {
          try {
            await codec.decode(m.value);
          } catch (err) {
            errors.push(err as DecodeError);
          }
        }
      },
    });
    await consumer.start();
    try {
      await waitFor(() => errors.length === 4, 'four decode errors', 30_000);
    } finally {
      await consumer.stop();
    }
    for (const e of errors) expect(e).toBeInstanceOf(DecodeError);
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['VIGIL_VALIDATION', 'status'],
      ['VIGIL_VALIDATION', 'latencyMs'],
      ['VIGIL_DECODE_JSON_SYNTAX', ''],
      ['VIGIL_DECODE_SCHEMA_UNKNOWN', ''],
    ]);
    expect(errors[0]!.message).toBe('status: expected an integer');
  });
});
