import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, createSchemaRegistry, findingContract, incidentContract, toWireJson, transactionContract, transactionKey, validate, type Finding, type Incident } from '@vigil/contracts';
import { createKafkaClient, type Admin, type KafkaClient, type Producer, type ReceivedMessage } from '@vigil/kafka';
import { sampleFinding } from '../../libs/contracts/src/samples.fixture.js';
import { runTail } from '../../services/cli/src/commands/tail.js';
import { runCli } from '../../services/cli/src/program.js';
import { makeTransaction } from '../support/events.js';
import { quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { followTopic } from '../support/topics.js';

/** `vigil publish` and `vigil tail` as a user runs them (argv in, exit code and output back), against the real stack. */
async function vigil(env: Record<string, string>, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: { ...stackEnv(), ...env } }, '0.0.0-test');
  return { code, out, err, summary: summaryOf(err) };
}

function summaryOf(err: string): Record<string, unknown> | undefined {
  const line = err.split('\n').find((l) => l.startsWith('{"summary"'));
  return line ? (JSON.parse(line) as { summary: Record<string, unknown> }).summary : undefined;
}

function incident(over: Partial<Incident>): Incident {
  const at = Date.UTC(2026, 10, 23, 14, 0, 0);
  return {
    id: 'inc-1',
    version: 1,
    change: 'opened',
    state: 'open',
    tier: 'notify',
    groupKey: 'bola_enumeration|accounts|principal:mallory',
    detector: 'bola_enumeration',
    severity: 'high',
    api: 'accounts',
    route: '/users/{id}/account',
    subject: { kind: 'principal', value: 'mallory' },
    title: 'mallory requested 45 distinct ids on /users/{id}/account in 2 min',
    findingCount: 1,
    lastFindingId: 'f-1',
    findingIds: ['f-1'],
    firstSeenAt: at,
    lastSeenAt: at,
    changedAt: at,
    ...over,
  };
}

describe('vigil publish and vigil tail on the real Kafka and schema registry', () => {
  const logger = quietLogger();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  const created: string[] = [];
  let kafka: KafkaClient;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    kafka = createKafkaClient({ brokers: stackEnv().KAFKA_BROKERS.split(','), clientId: 'vigil-it' }, logger);
    admin = await kafka.admin();
    producer = await kafka.producer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics(created).catch(() => undefined);
    await admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function collect(topic: string, count: number): Promise<ReceivedMessage[]> {
    const follow = await followTopic(kafka, topic);
    try {
      return await waitFor(() => follow.messages.length >= count && follow.messages, `${count} messages on ${topic}`);
    } finally {
      await follow.stop();
    }
  }

  /** A fresh topic name, deleted after the tests; with `partitions`, the topic is created now. */
  async function newTopic(prefix: string, partitions?: number): Promise<string> {
    const topic = uniqueName(prefix);
    created.push(topic);
    if (partitions !== undefined) await admin.ensureTopics([{ topic, partitions }]);
    return topic;
  }

  const events = Array.from({ length: 300 }, (_, i) => makeTransaction(i));
  const lines = events.map((e) => JSON.stringify(toWireJson(transactionContract, e)));
  // Line 4: not JSON; line 9: a direction the contract does not have.
  const withBad = [...lines.slice(0, 3), '{"id":"broken"', ...lines.slice(3, 7), lines[7]!.replace('"direction":"inbound"', '"direction":"sideways"').replace('"direction":"outbound"', '"direction":"sideways"'), ...lines.slice(8)];

  it('publishes every valid line keyed like the client library, names each bad line by number and reason, and exits 1', async () => {
    const topic = await newTopic('it.cli.tx');
    const file = join(dir, 'with-bad.ndjson');
    writeFileSync(file, `${withBad.join('\n')}\n`);
    const r = await vigil({ VIGIL_TOPIC_TRANSACTIONS: topic, VIGIL_TOPIC_PARTITIONS: '3' }, 'publish', '--input', file, '--batch-size', '64');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 4: VIGIL_DECODE_JSON_SYNTAX: /);
    expect(r.err).toMatch(/line 9: VIGIL_VALIDATION: direction: expected one of inbound, outbound/);
    expect(r.err).toContain(`VIGIL_INPUT_REJECTED: 2 of 301 lines were rejected (reasons above); the other 299 were published to ${topic}`);
    expect(r.summary).toMatchObject({ topic, lines: 301, published: 299, rejected: 2, dryRun: false });

    const messages = await collect(topic, 299);
    expect(messages).toHaveLength(299);
    expect(new Set(messages.map((m) => m.partition)).size).toBe(3);
    const codec = createCodec(transactionContract, { topic });
    const sent = new Map(events.filter((_, i) => i !== 7).map((e) => [e.id, e]));
    const byPartition = new Map<number, number[]>();
    for (const m of messages) {
      const e = await codec.decode(m.value);
      expect(e).toEqual(sent.get(e.id));
      expect(m.key!.toString()).toBe(transactionKey(e));
      byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), Number(e.id.slice(4))]);
    }
    // In file order within each partition (so per key).
    for (const ids of byPartition.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('--encoding avro registers the contract and sends Confluent-framed Avro that decodes to the same events', async () => {
    const topic = await newTopic('it.cli.avro');
    const file = join(dir, 'valid.ndjson.gz');
    const { gzipSync } = await import('node:zlib');
    writeFileSync(file, gzipSync(`${lines.slice(0, 50).join('\n')}\n`));
    const r = await vigil({}, 'publish', '--input', file, '--topic', topic, '--encoding', 'avro');
    expect(r.code, r.err).toBe(0);
    expect(r.summary).toMatchObject({ topic, encoding: 'avro', published: 50, rejected: 0 });
    const messages = await collect(topic, 50);
    expect(messages.every((m) => m.value![0] === 0)).toBe(true);
    const codec = createCodec(transactionContract, { topic, registry: createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL }) });
    const decoded = await Promise.all(messages.map((m) => codec.decode(m.value)));
    expect(decoded.map((e) => e.id).sort()).toEqual(events.slice(0, 50).map((e) => e.id).sort());
    for (const e of decoded) expect(e).toEqual(events[Number(e.id.slice(4))]);
  });

  it('vigil simulate --kafka publishes a scenario through the same connections, creating its topic with VIGIL_TOPIC_PARTITIONS', async () => {
    const topic = await newTopic('it.cli.sim');
    const r = await vigil({ VIGIL_TOPIC_PARTITIONS: '2' }, 'simulate', '--scenario', 'known-bad-ip', '--hours', '3', '--kafka', '--topic', topic);
    expect(r.code, r.err).toBe(0);
    const sent = Number((r.summary as { events: number }).events);
    expect(sent).toBeGreaterThan(1000);
    const messages = await collect(topic, sent);
    expect(messages).toHaveLength(sent);
    expect(new Set(messages.map((m) => m.partition))).toEqual(new Set([0, 1]));
    const codec = createCodec(transactionContract, { topic });
    const sample = await codec.decode(messages[0]!.value);
    expect(messages[0]!.key!.toString()).toBe(transactionKey(sample));
  });

  it('--dry-run checks every line and publishes nothing, not even the topic', async () => {
    const topic = uniqueName('it.cli.dry');
    const file = join(dir, 'dry.ndjson');
    writeFileSync(file, `${withBad.join('\n')}\n`);
    const r = await vigil({}, 'publish', '--input', file, '--topic', topic, '--dry-run');
    expect(r.code).toBe(1);
    expect(r.err).toContain('2 of 301 lines were rejected (reasons above); the others are valid (dry run: nothing was published)');
    expect(r.summary).toMatchObject({ published: 0, rejected: 2, dryRun: true });
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('tail findings --from-beginning prints each finding as a line, reports what does not decode, and stops at --max', async () => {
    const topic = await newTopic('it.cli.findings', 1);
    const codec = createCodec(findingContract, { topic });
    const findings: Finding[] = [
      sampleFinding({ id: 'f-low', severity: 'low', title: 'a low one' }),
      sampleFinding({ id: 'f-crit', detector: 'bola_enumeration', severity: 'critical', route: '/users/{id}/account', subject: { kind: 'principal', value: 'trudy' }, title: 'trudy requested 80 distinct ids' }),
      sampleFinding({ id: 'f-high', detector: 'error_rate', severity: 'high', subject: { kind: 'route', value: 'GET /orders' }, title: '5xx at 40%' }),
    ];
    await producer.send(topic, [
      { key: 'f-low', value: codec.encodeJson(findings[0]!) },
      { key: 'junk', value: '{"not":"a finding"}' },
      ...findings.slice(1).map((f) => ({ key: f.id, value: codec.encodeJson(f) })),
    ]);

    const text = await vigil({ VIGIL_TOPIC_FINDINGS: topic }, 'tail', '--from-beginning', '--max', '3');
    expect(text.code, text.err).toBe(0);
    const shown = text.out.trim().split('\n');
    expect(shown).toHaveLength(3);
    expect(shown[0]).toMatch(/^2026-11-23T14:00:00Z low +burst +accounts ip:198\.51\.100\.7 {2}a low one {2}\[f-low\]$/);
    expect(shown[1]).toMatch(/^2026-11-23T14:00:00Z critical bola_enumeration +accounts \/users\/\{id\}\/account principal:trudy {2}trudy requested 80 distinct ids {2}\[f-crit\]$/);
    expect(shown[2]).toContain('[f-high]');
    expect(text.err).toMatch(/partition 0 offset 1: VIGIL_VALIDATION: /);
    expect(text.summary).toMatchObject({ topic, shown: 3, filtered: 0, undecodable: 1 });

    const json = await vigil({}, 'tail', 'findings', '--topic', topic, '--from-beginning', '--json', '--min-severity', 'high', '--max', '2');
    expect(json.code, json.err).toBe(0);
    const back = json.out.trim().split('\n').map((l) => validate(findingContract, JSON.parse(l)));
    expect(back).toEqual([findings[1], findings[2]]);
    expect(json.summary).toMatchObject({ shown: 2, filtered: 1 });
  });

  it('tail incidents shows each change with its tier, and without --from-beginning only what is published after it starts', async () => {
    const topic = await newTopic('it.cli.incidents', 2);
    const codec = createCodec(incidentContract, { topic });
    await producer.send(topic, [{ key: 'inc-old', value: codec.encodeJson(incident({ id: 'inc-old', title: 'published before tail started' })) }]);

    const tail = vigil({ VIGIL_TOPIC_INCIDENTS: topic }, 'tail', 'incidents', '--max', '1');
    // Until the tail has joined its group it would miss them: publish a new change every 300 ms until it shows one.
    let stop = false;
    let version = 1;
    const publishing = (async () => {
      while (!stop) {
        version++;
        await producer.send(topic, [{ key: 'inc-1', value: codec.encodeJson(incident({ version, change: 'escalated', tier: 'wake_up', severity: 'critical', reason: 'confirmed enumeration with successful reads', findingCount: version })) }]);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const r = await tail;
    stop = true;
    await publishing;
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('inc-old');
    expect(r.out.trim()).toMatch(/^2026-11-23T14:00:00Z WAKE UP escalated +critical mallory requested 45 distinct ids on \/users\/\{id\}\/account in 2 min {2}\(confirmed enumeration with successful reads\) {2}\[inc-1 v\d+, \d+ findings\]$/);
  });

  it('tail follows until it is interrupted (Ctrl-C aborts its signal), then returns what it showed', async () => {
    const topic = await newTopic('it.cli.follow', 1);
    const codec = createCodec(findingContract, { topic });
    await producer.send(topic, [{ key: 'f-a', value: codec.encodeJson(sampleFinding({ id: 'f-a', title: 'first' })) }]);
    const shown: string[] = [];
    const ac = new AbortController();
    const tail = runTail({ what: 'findings', topic, fromBeginning: true, json: false }, { out: (l) => shown.push(l), err: () => undefined, env: { ...stackEnv() }, signal: ac.signal });
    await waitFor(() => shown.length === 1, 'the first finding shown');
    await producer.send(topic, [{ key: 'f-b', value: codec.encodeJson(sampleFinding({ id: 'f-b', title: 'second' })) }]);
    await waitFor(() => shown.length === 2, 'the second finding shown while following');
    ac.abort();
    expect(await tail).toMatchObject({ topic, shown: 2, undecodable: 0 });
    expect(shown.map((l) => l.slice(l.lastIndexOf('['))).join(' ')).toBe('[f-a] [f-b]');
  });

  it('tail refuses a topic that does not exist, naming the variable that renames it', async () => {
    const r = await vigil({}, 'tail', 'findings', '--topic', uniqueName('it.cli.none'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/VIGIL_ARGUMENT: topic it\.cli\.none-\S+ does not exist \(the detector creates it when it starts; another name is set with --topic or VIGIL_TOPIC_FINDINGS\)/);
  });
});
