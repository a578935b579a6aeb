import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { createKafkaClient, type Admin, type KafkaClient, type Producer, type ReceivedMessage } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, deletePrefix, type RedisClient } from '@vigil/redis';
import { matches } from '@vigil/simulator';
import { saveThreatsDocument } from '@vigil/state';
import { metricValue, sample, sharedCalls } from '../support/detector.js';
import { quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { notifierRig, type NotifierRig } from '../support/notifier.js';
import { startHttpSink, type HttpSink } from '../support/receivers.js';
import { attackStream, streamMessages } from '../support/attack-stream.js';
import {
  countByDetector,
  createReplicaTopics,
  drained,
  eventCounts,
  produceAll,
  publishedTwice,
  scrapeAndKill,
  settledAssignment,
  startDetectorReplica,
  steady,
  uniquePrefix,
  type DetectorReplica,
  type ReplicaTopics,
} from '../support/replicas.js';
import { byWindow, findingsOf, followTopic } from '../support/topics.js';

/**
 * Three `vigil detector` processes in one consumer group; one of them is
 * killed with SIGKILL while events flow. A second group of three, never
 * disturbed, reads the same topic into its own Redis prefix and topics: the
 * fault-free reference. A notifier follows the faulty group's findings and
 * delivers to a real webhook receiver.
 */

const PARTITIONS = 6;
const MESSAGES = 420_000;
/** Event time runs at 1,000 events a second; the topic gets 6,000 a second: a 35 s takeover is about 3.5 minutes of event time. */
const EVENT_RATE = 1000;
const WALL_RATE = 6000;
const MALFORMED_EVERY = 700;
const KILL_AT_SHARE = 0.3;

interface WebhookBody {
  key: string;
  kind: string;
  tier: string;
  incident: { id: string; groupKey: string };
}

interface Takeover {
  /** The victim's last /metrics. */
  text: string;
  killedAt: number;
  /** The victim's committed offsets by partition, once they stopped moving after the kill. */
  frozen: Map<number, number>;
  rebalancedAt: number;
  resumedAt: number;
  producedAtKill: number;
}

interface IncidentView {
  id: string;
  tier: string;
  groupKey: string;
  findingCount: number;
  findingIds: string[];
}


describe('three detector replicas, one killed with SIGKILL mid-stream', () => {
  let kafka: KafkaClient;
  let admin: Admin;
  let producer: Producer;
  let redis: RedisClient;
  let topics: ReplicaTopics;
  let refTopics: { dlq: string; findings: string };
  let sink: HttpSink;
  let rig: NotifierRig | undefined;
  const replicas: DetectorReplica[] = [];
  const stops: (() => Promise<void>)[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    const env = stackEnv();
    kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'vigil-it-fault-replicas' }, quietLogger());
    admin = await kafka.admin();
    producer = await kafka.producer();
    redis = createRedis({ url: env.REDIS_URL });
    await connectRedis(redis);
    topics = await createReplicaTopics(admin, PARTITIONS, 'kill');
    refTopics = { dlq: uniqueName('kill.ref.dlq'), findings: uniqueName('kill.ref.findings') };
    await admin.ensureTopics([{ topic: refTopics.dlq, partitions: 3 }, { topic: refTopics.findings, partitions: 3 }]);
    sink = await startHttpSink();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop(10_000)));
    await Promise.all(stops.map((s) => s().catch(() => undefined)));
    await rig?.close();
    await sink?.stop();
    if (redis) for (const prefix of [...prefixes, ...(rig ? [rig.prefix] : [])]) await deletePrefix(redis, prefix);
    await producer?.disconnect();
    await admin?.deleteTopics([...Object.values(topics ?? {}), ...Object.values(refTopics ?? {})]).catch(() => undefined);
    await admin?.disconnect();
    if (redis) await closeRedis(redis);
  }, 60_000);

  it('the others take over its partitions: every event accounted for, no finding lost, each notification sent once', async () => {
    const t0 = Date.now();
    const stream = attackStream({ messages: MESSAGES, perSecond: EVENT_RATE, malformedEvery: MALFORMED_EVERY, attacksFrom: 0.05, attacksTo: 0.25, seed: 23 });
    const faulty = { groupId: uniqueName('kill-group'), prefix: uniquePrefix('kill') };
    const reference = { groupId: uniqueName('kill-ref-group'), prefix: uniquePrefix('killref') };
    prefixes.push(faulty.prefix, reference.prefix);
    await saveThreatsDocument(redis, faulty.prefix, stream.threats);
    await saveThreatsDocument(redis, reference.prefix, stream.threats);

    // The notifier: every incident notifies (minSeverity info) one webhook, on both tiers.
    rig = await notifierRig(
      {
        notify: { minSeverity: 'info' },
        wakeUp: { ackTimeoutMs: 0 },
        repeatIntervalMs: 0,
        resolveAfterMs: 24 * 3_600_000,
        rateLimitPerMinute: 100_000,
        tiers: { notify: ['hook'], wake_up: ['hook'] },
        channels: { hook: { type: 'webhook', url: `${sink.url}/hook`, timeoutMs: 5000 } },
      },
      { findingsTopic: topics.findings },
    );
    const notifier = await rig.start();
    const notifierMetrics = () => notifier.metrics.metrics();

    // Six replicas: three in the group under test, three in the reference group.
    const started = await Promise.all([
      ...[1, 2, 3].map((i) => startDetectorReplica({ name: `kill-${i}`, ...faulty, topics })),
      ...[1, 2, 3].map((i) => startDetectorReplica({ name: `ref-${i}`, ...reference, topics: { transactions: topics.transactions, ...refTopics } })),
    ]);
    replicas.push(...started);
    const group = started.slice(0, 3);
    const refGroup = started.slice(3);
    const assigned = await settledAssignment(group, topics.transactions, PARTITIONS);
    await settledAssignment(refGroup, topics.transactions, PARTITIONS);
    const victim = group[1]!;
    const survivors = group.filter((r) => r !== victim);
    const victimPartitions = assigned.get(victim)!;
    const victimJoins = victim.joins();

    const findings = await followTopic(kafka, topics.findings);
    const dlq = await followTopic(kafka, topics.dlq);
    const refFindings = await followTopic(kafka, refTopics.findings);
    stops.push(findings.stop, dlq.stop, refFindings.stop);

    let kill: Promise<Takeover> | undefined;
    // Scrape every replica of the group every 100 ms while events flow.
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        await Promise.all(group.filter((r) => r.alive() && !(kill && r === victim)).map((r) => r.scrape().catch(() => undefined)));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Produce at a steady pace; at 30% of the stream, kill the victim right after a scrape.
    const produced = await produceAll(producer, topics.transactions, streamMessages(stream, topics.transactions), {
      chunk: 2000,
      inFlight: 2,
      perSecond: WALL_RATE,
      progress: (sent) => {
        if (kill || sent < MESSAGES * KILL_AT_SHARE) return;
        kill = (async (): Promise<Takeover> => {
          await waitFor(async () => eventCounts(await victim.scrape()).consumed > 0, 'the victim to have processed events', 30_000, 50);
          const { text, killedAt } = await scrapeAndKill(victim);
          // The victim's partitions keep the offsets it committed until the group notices it is gone (session timeout);
          // a commit it sent just before the signal may still land: read them once they stop moving.
          const committed = async () => (await admin.lag(faulty.groupId, topics.transactions)).filter((p) => victimPartitions.includes(p.partition)).map((p) => [p.partition, Number(p.committed)] as const);
          const frozen = new Map(await steady(committed, "the victim's committed offsets", 500, 10_000));
          // Takeover: the survivors are given the victim's partitions, then commit past where it stopped.
          const rebalancedAt = await waitFor(
            () => victimPartitions.every((p) => survivors.some((s) => s.assignment(topics.transactions)?.includes(p))) && Date.now(),
            "the survivors to be given the victim's partitions",
            120_000,
            100,
          );
          const resumedAt = await waitFor(
            async () => {
              const lag = await admin.lag(faulty.groupId, topics.transactions);
              return (
                victimPartitions.every((p) => {
                  const now = lag.find((l) => l.partition === p)!;
                  return Number(now.committed) > frozen.get(p)! || now.lag === 0;
                }) && Date.now()
              );
            },
            "the survivors to commit past the victim's offsets",
            120_000,
            100,
          );
          return { text, killedAt, frozen, rebalancedAt, resumedAt, producedAtKill: sent };
        })();
        // Awaited once the stream is out; until then a failure must not count as unhandled.
        kill.catch(() => undefined);
      },
    });
    if (!kill) throw new Error('the stream ended before the kill');
    const takeover = await kill;
    const { frozen, killedAt, rebalancedAt, resumedAt } = takeover;
    const exit = await victim.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(victim.joins(), 'the victim kept its partitions from the start until the kill').toBe(victimJoins);
    const victimLast = eventCounts(takeover.text);
    const committedByVictim = victimPartitions.reduce((a, p) => a + Math.max(0, frozen.get(p)!), 0);

    await Promise.all([drained(admin, faulty.groupId, topics.transactions, 180_000), drained(admin, reference.groupId, topics.transactions, 180_000)]);
    scraping = false;
    await scraper;
    const finals = await Promise.all(survivors.map(async (s) => eventCounts(await s.scrape())));
    const refFinals = await Promise.all(refGroup.map(async (s) => eventCounts(await s.scrape())));

    // --- Every event accounted for ---
    // vigil_events_consumed_total counts a batch's messages (valid or not) once the batch is done; rejected, the dead-lettered ones.
    // The victim's last scrape may miss a batch it finished (and committed) in the milliseconds before the
    // signal landed; its committed offsets are a floor of what it finished, so it finished max(scrape, committed).
    const survivorsConsumed = finals.reduce((a, c) => a + c.consumed, 0);
    const scrapeMissed = Math.max(0, committedByVictim - victimLast.consumed);
    const consumed = survivorsConsumed + victimLast.consumed + scrapeMissed;
    const rejected = finals.reduce((a, c) => a + c.rejected, 0) + victimLast.rejected;
    // Read twice: what the victim had finished beyond the offsets it committed (the survivors read it again).
    const replayed = Math.max(0, victimLast.consumed - committedByVictim);
    // Dead letters: each names its source message (topic/partition/offset).
    await waitFor(() => dlq.messages.length >= produced.malformed || undefined, 'the dead letters', 60_000);
    const sourceOf = (m: ReceivedMessage) => m.headers['vigil-source']!;
    const sources = new Map<string, number>();
    for (const m of dlq.messages) sources.set(sourceOf(m), (sources.get(sourceOf(m)) ?? 0) + 1);
    const twice = [...sources].filter(([, n]) => n > 1).map(([s]) => s);
    const refConsumed = refFinals.reduce((a, c) => a + c.consumed, 0);

    // --- Findings: the faulty group against the reference group ---
    // Both groups have committed everything, so everything they published is on the topics: let the followers catch up.
    await waitFor(() => (refFindings.messages.length > 0 && findings.messages.length > 0) || undefined, 'findings from both groups', 30_000);
    await Promise.all([steady(() => findings.messages.length, 'the findings follower'), steady(() => refFindings.messages.length, 'the reference findings follower')]);
    const got = new Map(findingsOf(findings.messages).map((f) => [f.id, f]));
    const want = new Map(findingsOf(refFindings.messages).map((f) => [f.id, f]));
    // Lost and extra window by window: which windows are published again raised depends on where the batches fall.
    const gotWindows = byWindow(got.values());
    const wantWindows = byWindow(want.values());
    const lost = [...wantWindows.keys()].filter((w) => !gotWindows.has(w)).map((w) => wantWindows.get(w)!);
    const extra = [...gotWindows.keys()].filter((w) => !wantWindows.has(w)).map((w) => gotWindows.get(w)!);
    const unmatchedLabels = stream.labels.filter((l) => ![...got.values()].some((f) => matches(f, l)));
    const refUnmatchedLabels = stream.labels.filter((l) => ![...want.values()].some((f) => matches(f, l)));

    // --- Notifications: every finding reaches the notifier; dedup absorbs replays ---
    const notifierSeen = async () => {
      const text = await notifierMetrics();
      return ['new_incident', 'updated', 'replay', 'suppressed', 'invalid'].reduce((a, o) => a + sample(text, 'vigil_notifier_findings_total', `outcome="${o}"`), 0);
    };
    // A wait on the notifier that times out says what the notifier and its Kafka client last warned about.
    const notifierWait = (probe: () => Promise<true | undefined>, what: string) =>
      waitFor(probe, what, 60_000, 250).catch(async (err: Error) => {
        const warnings = rig!.logs.filter((l) => ['warn', 'error', 'fatal'].includes(String(l.level))).slice(-8);
        const lag = await admin.lag(rig!.groupId, topics.findings).catch((e: Error) => e.message);
        throw new Error(`${err.message} (it had read ${await notifierSeen()} findings, ${findings.messages.length} on the topic; its group's lag: ${JSON.stringify(lag)}; its last warnings: ${JSON.stringify(warnings)})`);
      });
    await notifierWait(async () => (await notifierSeen()) >= findings.messages.length || undefined, 'the notifier to read every finding');
    await notifierWait(async () => metricValue(await notifierMetrics(), 'vigil_outbox_depth') === 0 || undefined, 'the outbox to empty');
    const incidents = async () => ((await (await rig!.api('/incidents?limit=1000')).json()) as { incidents: IncidentView[] }).incidents;
    const before = await incidents();
    const firstPass = sink.received.length;
    const onTopic = findings.messages.length;

    // Replay the whole findings topic to the notifier (at-least-once delivery, worst case): nothing may be sent again.
    // The copies are taken before the send: the follower reads the replayed messages too, so its count grows as they land.
    const replay = findings.messages.map((m) => ({ key: m.key, value: m.value }));
    await producer.send(topics.findings, replay);
    const replayedFindings = replay.length;
    await notifierWait(async () => (await notifierSeen()) >= 2 * replayedFindings || undefined, 'the notifier to read the replayed findings');
    await notifierWait(async () => metricValue(await notifierMetrics(), 'vigil_outbox_depth') === 0 || undefined, 'the outbox to empty again');
    const after = await incidents();
    const text = await notifierMetrics();
    const outcomes = Object.fromEntries(['new_incident', 'updated', 'replay', 'invalid'].map((o) => [o, sample(text, 'vigil_notifier_findings_total', `outcome="${o}"`)]));
    const keys = new Map<string, number>();
    for (const r of sink.received) keys.set(String(r.headers['x-vigil-key']), (keys.get(String(r.headers['x-vigil-key'])) ?? 0) + 1);
    const byIncident = new Map<string, WebhookBody[]>();
    for (const r of sink.received) {
      const b = r.body as WebhookBody;
      byIncident.set(b.incident.id, [...(byIncident.get(b.incident.id) ?? []), b]);
    }

    // The shared counters (every api's hour counts): the victim's replayed batches are not counted in them twice.
    const shared = { faulty: await sharedCalls(redis, faulty.prefix), reference: await sharedCalls(redis, reference.prefix), valid: produced.sent - produced.malformed };

    const figures = {
      partitions: PARTITIONS,
      produced: produced.sent,
      malformed: produced.malformed,
      produceSeconds: produced.seconds,
      victim: { name: victim.name, partitions: victimPartitions, consumedAtLastScrape: victimLast.consumed, rejectedAtLastScrape: victimLast.rejected, committedOffsets: committedByVictim, scrapeMissed },
      survivors: Object.fromEntries(survivors.map((s, i) => [s.name, finals[i]])),
      consumed,
      rejected,
      processed: consumed - rejected,
      replayed,
      deadLetters: dlq.messages.length,
      deadLetterSources: sources.size,
      deadLettersTwice: twice.length,
      referenceConsumed: refConsumed,
      sharedCounters: shared,
      takeover: { producedAtKill: takeover.producedAtKill, rebalanceMs: rebalancedAt - killedAt, resumeMs: resumedAt - killedAt },
      findings: { onTopic, distinct: got.size, byDetector: countByDetector(got.values()) },
      reference: { onTopic: refFindings.messages.length, distinct: want.size, byDetector: countByDetector(want.values()) },
      publishedTwice: { faulty: publishedTwice(findings.messages.slice(0, onTopic)), reference: publishedTwice(refFindings.messages) },
      lost: lost.map((f) => `${f.detector} ${f.subject.kind}:${f.subject.value} ${f.api} ${f.route ?? ''} ${new Date(f.windowStart).toISOString()}`),
      extra: extra.map((f) => `${f.detector} ${f.subject.kind}:${f.subject.value} ${f.api} ${f.route ?? ''} ${new Date(f.windowStart).toISOString()}`),
      labelsMissed: unmatchedLabels.map((l) => `${l.scenario}/${l.detector}`),
      referenceLabelsMissed: refUnmatchedLabels.map((l) => `${l.scenario}/${l.detector}`),
      notifier: { outcomes, incidents: after.length, webhooks: sink.received.length, webhooksFirstPass: firstPass, replayedFindings },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    console.info(JSON.stringify({ faultReplicas: figures }));

    // Accounting. From Kafka, exactly: the survivors read every message the victim had not committed, each once.
    expect(survivorsConsumed).toBe(produced.sent - committedByVictim);
    // From the metrics: processed plus dead-lettered (consumed) covers every message, and the surplus is the replays.
    expect(consumed).toBeGreaterThanOrEqual(produced.sent);
    expect(consumed).toBe(produced.sent + replayed);
    expect(refConsumed, 'the reference group read each message once').toBe(produced.sent);
    // Every malformed message was dead-lettered (at least once), and nothing else; a second copy only from the victim's uncommitted range.
    expect(sources.size).toBe(produced.malformed);
    expect(dlq.messages.every((m) => m.key?.toString().startsWith('bad-'))).toBe(true);
    for (const s of twice) {
      const [, partition, offset] = s.split('/').slice(-3).map(Number) as [number, number, number];
      expect(victimPartitions).toContain(partition);
      expect(offset).toBeGreaterThanOrEqual(frozen.get(partition)!);
    }
    expect(rejected).toBeGreaterThanOrEqual(produced.malformed);
    expect(replayed, 'the survivors replayed batches the victim had counted').toBeGreaterThan(0);
    expect(shared.reference, 'the reference group counted each valid event once').toBe(shared.valid);
    expect(shared.faulty, 'the replayed events were not counted twice').toBe(shared.valid);

    // No finding lost: every finding of the fault-free group is on the faulty group's topic, and every attack was found.
    expect(figures.lost).toEqual([]);
    expect(figures.labelsMissed).toEqual([]);
    expect(figures.referenceLabelsMissed).toEqual([]);
    expect(figures.extra).toEqual([]);

    // Notifications: each key once; each incident notified, once per tier it reached, in order; replays changed nothing.
    expect([...keys.values()].every((n) => n === 1)).toBe(true);
    expect(sink.received.length).toBe(firstPass);
    expect(after).toEqual(before);
    // A window published again as it grew (an update naming its first id) is the same finding to its incident: counted once.
    expect(after.reduce((a, i) => a + i.findingCount, 0)).toBe(gotWindows.size);
    expect(new Set(after.flatMap((i) => i.findingIds))).toEqual(new Set(got.keys()));
    for (const inc of after) {
      const sent = byIncident.get(inc.id) ?? [];
      expect(sent.length, `notifications of ${inc.groupKey}`).toBeGreaterThanOrEqual(1);
      expect(sent.map((b) => b.tier)).toEqual(inc.tier === 'wake_up' && sent.length === 2 ? ['notify', 'wake_up'] : [inc.tier]);
      expect(sent.every((b) => b.kind === 'trigger')).toBe(true);
    }
    expect(outcomes.replay).toBe(2 * replayedFindings - got.size);
    expect(outcomes.new_incident! + outcomes.updated!).toBe(got.size);
  }, 360_000);
});
