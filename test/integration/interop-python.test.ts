import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlqHeaders, type ApiTransaction } from '@vigil/contracts';
import { createKafkaClient, type Admin, type KafkaClient } from '@vigil/kafka';
import { runTail } from '../../services/cli/src/commands/tail.js';
import { quietLogger, stackEnv, uniqueName, waitFor } from '../support/helpers.js';
import { notifierRig, type NotifierRig } from '../support/notifier.js';
import { repo } from '../support/prometheus.js';
import { interopDir, interopPython } from '../support/python.js';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';

const MINUTE = 60_000;

/** One principal reading 50 other users' accounts, one a second, all served: an enumeration in the first half of a 2-minute window. */
function enumeration(): ApiTransaction[] {
  const start = Math.floor(Date.UTC(2026, 11, 5, 9, 0, 0) / (2 * MINUTE)) * 2 * MINUTE + 5000;
  const reads = Array.from({ length: 50 }, (_, i): ApiTransaction => ({
    id: `py-enum-${i}`,
    timestamp: start + i * 1000,
    direction: 'inbound',
    api: 'accounts',
    method: 'GET',
    path: `/users/${1000 + i}/account`,
    route: '/users/{id}/account',
    status: 200,
    latencyMs: 21.5,
    responseBytes: 1400,
    clientIp: '203.0.113.9',
    principal: 'mallory',
    userAgent: 'python-requests/2.32.3',
    tags: { env: 'interop' },
  }));
  // Later traffic moves event time past the window.
  const later = Array.from({ length: 5 }, (_, i): ApiTransaction => ({ id: `py-later-${i}`, timestamp: start + 5 * MINUTE + i * 1000, direction: 'inbound', api: 'accounts', method: 'GET', path: '/users/7/account', status: 200, latencyMs: 20, principal: 'alice' }));
  return [...reads, ...later];
}

/**
 * vigil with a client nobody on the team wrote: Confluent's Python client.
 * Its AvroSerializer publishes events with the registry; the detector runs as
 * operators run it, with only the transactions topic renamed and findings in
 * Avro; a Python consumer that knows only the registry and finding.v1.avsc
 * reads the enumeration back, and so do the notifier and `vigil tail`.
 */
describe('interop with confluent-kafka (Python)', () => {
  const env = stackEnv();
  const topics = { transactions: uniqueName('interop.tx'), findings: uniqueName('interop.findings') };
  let python: string;
  let kafka: KafkaClient;
  let admin: Admin;
  let detector: VigilProcess | undefined;
  let notifier: NotifierRig | undefined;

  beforeAll(async () => {
    python = interopPython();
    kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'vigil-it-interop' }, quietLogger());
    admin = await kafka.admin();
    await admin.ensureTopics([topics.transactions, `${topics.transactions}.dlq`, topics.findings].map((topic) => ({ topic, partitions: 2 })));
  }, 300_000);

  /**
   * The detector, started once the test has published (it reads from the earliest offset): the enumeration's
   * reads then come to it in one batch, and its finding counts all 50. Started while they arrive, it may judge the
   * window after 49 of them, and a window is published again only when what it counts grows by a quarter.
   */
  async function detectorRunning(): Promise<VigilProcess> {
    if (detector) return detector;
    detector = await startVigilProcess('detector', {
      ...env,
      VIGIL_TOPIC_TRANSACTIONS: topics.transactions,
      VIGIL_TOPIC_FINDINGS: topics.findings,
      VIGIL_FINDINGS_ENCODING: 'avro',
      VIGIL_TOPIC_PARTITIONS: '2',
      DETECTOR_START: 'earliest',
      DETECTOR_GROUP_ID: uniqueName('interop-detector'),
      REDIS_KEY_PREFIX: uniqueName('interop').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32),
    });
    await detector.ready();
    return detector;
  }

  afterAll(async () => {
    await detector?.stop();
    await notifier?.close();
    await admin?.deleteTopics([topics.transactions, `${topics.transactions}.dlq`, topics.findings]).catch(() => undefined);
    await admin?.disconnect();
  });

  it('publishes with AvroSerializer, and the enumeration comes back as an Avro bola_enumeration a Python consumer reads with finding.v1.avsc', async () => {
    const input = enumeration().map((e) => JSON.stringify({ ...e, timestamp: new Date(e.timestamp).toISOString() })).join('\n');
    const produced = spawnSync(python, [join(interopDir, 'produce_transactions.py'), env.KAFKA_BROKERS, env.SCHEMA_REGISTRY_URL, topics.transactions, join(repo, 'schemas/avro/api-transaction.v1.avsc')], { input, encoding: 'utf8', timeout: 60_000 });
    expect(produced.status, produced.stderr).toBe(0);
    expect(JSON.parse(produced.stdout)).toEqual({ delivered: 55 });
    await detectorRunning();

    const consumed = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(python, [join(interopDir, 'consume_findings.py'), env.KAFKA_BROKERS, env.SCHEMA_REGISTRY_URL, topics.findings, join(repo, 'schemas/avro/finding.v1.avsc'), 'bola_enumeration', '90']);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(consumed.code, `${consumed.stderr}\n${detector!.output().slice(-2000)}`).toBe(0);
    const findings = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const bola = findings.find((f) => f.detector === 'bola_enumeration')!;
    expect(bola).toMatchObject({ severity: 'critical', api: 'accounts', route: '/users/{id}/account', subject: { kind: 'principal', value: 'mallory' }, owasp: 'API1:2023' });
    expect((bola.evidence as Record<string, number>).distinctIds).toBe(50);
    // timestamp-millis, read as a datetime by the Python client.
    expect(String(bola.windowStart)).toMatch(/^2026-12-05T09:0\d:00\+00:00$/);
  }, 180_000);

  it('the findings on the topic are Confluent-framed Avro, and the notifier and vigil tail read them', async () => {
    await detectorRunning();
    const raw: Buffer[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('interop-raw'), topics: [topics.findings], fromBeginning: true, eachBatch: async (b) => void raw.push(...b.messages.map((m) => m.value!)) });
    await consumer.start();
    await waitFor(() => raw.length > 0, 'the raw findings', 30_000);
    await consumer.stop();
    expect(raw.every((v) => v[0] === 0 && v.length > 5)).toBe(true);

    const lines: string[] = [];
    const summary = await runTail({ what: 'findings', topic: topics.findings, fromBeginning: true, json: true, minSeverity: 'critical', max: 1 }, { out: (l) => lines.push(l), err: () => undefined, env: { ...process.env, ...env } });
    expect(summary.undecodable).toBe(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ detector: 'bola_enumeration', severity: 'critical', windowStart: expect.stringMatching(/^2026-12-05T09:0\d:00(\.000)?Z$/) });

    notifier = await notifierRig({}, { findingsTopic: topics.findings });
    const { api } = await notifier.start();
    const incidents = await waitFor(async () => {
      const body = (await (await notifier!.api('/incidents')).json()) as { incidents: { detector: string; tier: string }[] };
      return body.incidents.some((i) => i.detector === 'bola_enumeration') && body.incidents;
    }, 'an incident from the Avro finding', 30_000);
    expect(api).toMatch(/^http/);
    expect(incidents.find((i) => i.detector === 'bola_enumeration')?.tier).toBe('wake_up');
  }, 120_000);

  it('dead-letters a bad message to the renamed transactions topic + .dlq', async () => {
    await detectorRunning();
    const producer = await kafka.producer();
    await producer.send(topics.transactions, [{ key: 'junk', value: 'not an event' }]);
    await producer.disconnect();
    const letters: { key: string; error: string }[] = [];
    const consumer = kafka.consumer({
      groupId: uniqueName('interop-dlq'),
      topics: [`${topics.transactions}.dlq`],
      fromBeginning: true,
      eachBatch: async (b) => void letters.push(...b.messages.map((m) => ({ key: String(m.key), error: String(m.headers?.[dlqHeaders.error]) }))),
    });
    await consumer.start();
    await waitFor(() => letters.length > 0, `a dead letter on ${topics.transactions}.dlq`, 30_000);
    await consumer.stop();
    expect(letters).toEqual([{ key: 'junk', error: 'VIGIL_DECODE_UNKNOWN_FORMAT' }]);
  }, 60_000);
});
