import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { createKafkaClient, type Admin, type KafkaClient, type Producer } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, deletePrefix, type RedisClient } from '@vigil/redis';
import { matches } from '@vigil/simulator';
import { saveThreatsDocument } from '@vigil/state';
import { sharedCalls } from '../support/detector.js';
import { quietLogger, stackEnv, uniqueName } from '../support/helpers.js';
import { attackStream, streamMessages } from '../support/attack-stream.js';
import {
  countByDetector,
  createReplicaTopics,
  drained,
  eventCounts,
  produceAll,
  publishedTwice,
  settledAssignment,
  startDetectorReplica,
  steady,
  uniquePrefix,
  type DetectorReplica,
  type ReplicaTopics,
} from '../support/replicas.js';
import { byWindow, findingsOf, followTopic } from '../support/topics.js';

/**
 * Scale-out: the same 2,000,000-event stream on a 12-partition topic, read
 * by one `vigil detector` process in one consumer group and by three in
 * another (each group with its own Redis key prefix and findings topic, so
 * their state never mixes). Both must publish findings for the same set of
 * windows (a window raised in one run and published whole in the other is
 * the same window).
 */

const PARTITIONS = 12;
const MESSAGES = 2_000_000;
/** Event time: 2,000 events a second (about 17 minutes of a busy site). */
const EVENT_RATE = 2000;
/** 20,000 users: about 80,000 subjects (user or address, per api), all held in memory by the single replica (its cache takes 100,000). */
const USERS = 20_000;

const describeFinding = (f: Finding) => `${f.detector} ${f.subject.kind}:${f.subject.value} ${f.api} ${f.route ?? ''} ${new Date(f.windowStart).toISOString()} ${JSON.stringify(f.evidence).slice(0, 300)}`;

describe('scale-out: three detector replicas against one', () => {
  let kafka: KafkaClient;
  let admin: Admin;
  let producer: Producer;
  let redis: RedisClient;
  let input: ReplicaTopics;
  const extraTopics: string[] = [];
  const replicas: DetectorReplica[] = [];
  const stops: (() => Promise<void>)[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    const env = stackEnv();
    kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'vigil-it-scale-out' }, quietLogger());
    admin = await kafka.admin();
    producer = await kafka.producer();
    redis = createRedis({ url: env.REDIS_URL });
    await connectRedis(redis);
    input = await createReplicaTopics(admin, PARTITIONS, 'scale');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop(10_000)));
    await Promise.all(stops.map((s) => s().catch(() => undefined)));
    await producer?.disconnect();
    if (redis) for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await admin?.deleteTopics([...Object.values(input ?? {}), ...extraTopics]).catch(() => undefined);
    await admin?.disconnect();
    if (redis) await closeRedis(redis);
  }, 60_000);

  it('one replica and three publish findings for the same windows in a 2,000,000-event stream', async () => {
    const t0 = Date.now();
    const stream = attackStream({ messages: MESSAGES, perSecond: EVENT_RATE, users: USERS, seed: 31 });
    const groups = await Promise.all(
      (['one', 'three'] as const).map(async (tag) => {
        const topics = { transactions: input.transactions, dlq: uniqueName(`scale.${tag}.dlq`), findings: uniqueName(`scale.${tag}.findings`) };
        extraTopics.push(topics.dlq, topics.findings);
        await admin.ensureTopics([{ topic: topics.dlq, partitions: 3 }, { topic: topics.findings, partitions: 3 }]);
        const g = { tag, groupId: uniqueName(`scale-${tag}`), prefix: uniquePrefix(`scale${tag}`), topics };
        prefixes.push(g.prefix);
        await saveThreatsDocument(redis, g.prefix, stream.threats);
        return g;
      }),
    );
    const [one, three] = groups as [(typeof groups)[number], (typeof groups)[number]];

    const started = await Promise.all([
      startDetectorReplica({ name: 'one-1', groupId: one.groupId, prefix: one.prefix, topics: one.topics }),
      // Niceness 5 for the three: the host's two cores are shared by process, and the group of three should not starve the one.
      ...[1, 2, 3].map((i) => startDetectorReplica({ name: `three-${i}`, groupId: three.groupId, prefix: three.prefix, topics: three.topics, nice: 5 })),
    ]);
    replicas.push(...started);
    const trio = started.slice(1);
    // Both groups settle before the first event, so each replica keeps its partitions from the first to the last.
    await settledAssignment(started.slice(0, 1), input.transactions, PARTITIONS);
    const assignment = await settledAssignment(trio, input.transactions, PARTITIONS);
    const joins = started.map((r) => r.joins());
    const oneFindings = await followTopic(kafka, one.topics.findings);
    const threeFindings = await followTopic(kafka, three.topics.findings);
    stops.push(oneFindings.stop, threeFindings.stop);

    // Produce the stream as fast as the broker takes it; both groups read it as it arrives.
    const produceStart = Date.now();
    const produced = await produceAll(producer, input.transactions, streamMessages(stream, input.transactions), { chunk: 5000, inFlight: 8 });
    const drainedAt = new Map<string, number>();
    await Promise.all(
      [one, three].map(async (g) => {
        await drained(admin, g.groupId, input.transactions, 300_000);
        drainedAt.set(g.tag, Date.now());
      }),
    );
    const counts = await Promise.all(started.map(async (r) => eventCounts(await r.scrape())));
    // Everything the groups published before committing their last offsets is on the topics: let the followers catch up.
    await Promise.all([steady(() => oneFindings.messages.length, 'the findings of one', 1500), steady(() => threeFindings.messages.length, 'the findings of three', 1500)]);

    // Window by window (a window raised in one run and published whole in the other is the same window).
    const a = byWindow(findingsOf(oneFindings.messages));
    const b = byWindow(findingsOf(threeFindings.messages));
    const onlyOne = [...a.keys()].filter((w) => !b.has(w)).map((w) => a.get(w)!);
    const onlyThree = [...b.keys()].filter((w) => !a.has(w)).map((w) => b.get(w)!);
    // Every api's hour counts in Redis: the same whether one replica counted the stream or three shared it.
    const shared = { one: await sharedCalls(redis, one.prefix), three: await sharedCalls(redis, three.prefix), valid: MESSAGES - counts[0]!.rejected };
    const figures = {
      partitions: PARTITIONS,
      produced: produced.sent,
      produceSeconds: produced.seconds,
      eventTimeMinutes: Math.round((stream.end - stream.start) / 60_000),
      assignment: trio.map((r) => [r.name, assignment.get(r)]),
      consumed: Object.fromEntries(started.map((r, i) => [r.name, counts[i]!.consumed])),
      oneReplica: { drainSeconds: (drainedAt.get('one')! - produceStart) / 1000, onTopic: oneFindings.messages.length, ids: a.size, byDetector: countByDetector(a.values()) },
      threeReplicas: { drainSeconds: (drainedAt.get('three')! - produceStart) / 1000, onTopic: threeFindings.messages.length, ids: b.size, byDetector: countByDetector(b.values()) },
      publishedTwice: { one: publishedTwice(oneFindings.messages), three: publishedTwice(threeFindings.messages) },
      sharedCounters: shared,
      onlyOne: onlyOne.map(describeFinding),
      onlyThree: onlyThree.map(describeFinding),
      labelsMissed: { one: stream.labels.filter((l) => ![...a.values()].some((f) => matches(f, l))).map((l) => `${l.scenario}/${l.detector}`), three: stream.labels.filter((l) => ![...b.values()].some((f) => matches(f, l))).map((l) => `${l.scenario}/${l.detector}`) },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    console.info(JSON.stringify({ scaleOut: figures }));

    // Each group read the whole stream once, with no rebalance; all three replicas did a share.
    expect(started.map((r) => r.joins())).toEqual(joins);
    expect(counts[0]!.consumed).toBe(MESSAGES);
    expect(counts.slice(1).reduce((s, c) => s + c.consumed, 0)).toBe(MESSAGES);
    for (const c of counts.slice(1)) expect(c.consumed).toBeGreaterThan(0);
    expect(shared).toEqual({ one: shared.valid, three: shared.valid, valid: shared.valid });
    // A non-trivial set: every attack was found by both.
    expect(figures.labelsMissed).toEqual({ one: [], three: [] });
    // The same set of windows.
    expect({ onlyOne: figures.onlyOne, onlyThree: figures.onlyThree }).toEqual({ onlyOne: [], onlyThree: [] });
    expect(new Set(b.keys())).toEqual(new Set(a.keys()));
  }, 480_000);
});
