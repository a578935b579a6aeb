import { spawn } from 'node:child_process';
import type { Finding } from '@vigil/contracts';
import type { Admin, Producer, ReceivedMessage } from '@vigil/kafka';
import { metricValue, sample } from './detector.js';
import { stackEnv, uniqueName, waitFor } from './helpers.js';
import { findingsOf } from './topics.js';
import { killOnExit, startVigilProcess, type LogLine, type VigilProcessOptions } from './vigil-process.js';

/**
 * Detector replicas as real processes (`vigil detector`, started by
 * vigil-process.ts), configured by environment as an operator would, for the
 * reliability tests: start several in one consumer group, scrape their
 * /metrics, read which partitions each holds (from kafkajs's join log line),
 * kill one.
 */

export interface ReplicaTopics {
  transactions: string;
  dlq: string;
  findings: string;
}

/** Fresh topics for one test: the input with `partitions` partitions, the dead-letter and findings topics with 3. */
export async function createReplicaTopics(admin: Admin, partitions: number, prefix = 'rel'): Promise<ReplicaTopics> {
  const topics = { transactions: uniqueName(`${prefix}.tx`), dlq: uniqueName(`${prefix}.dlq`), findings: uniqueName(`${prefix}.findings`) };
  await admin.ensureTopics([
    { topic: topics.transactions, partitions },
    { topic: topics.dlq, partitions: 3 },
    { topic: topics.findings, partitions: 3 },
  ]);
  return topics;
}

/** A Redis key prefix no other run uses (the config allows 32 characters). */
export function uniquePrefix(tag: string): string {
  return uniqueName(tag).replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
}

export interface ReplicaOptions extends VigilProcessOptions {
  name: string;
  groupId: string;
  prefix: string;
  topics: ReplicaTopics;
  /** Extra environment (e.g. VIGIL_CONFIG). */
  env?: Record<string, string>;
}

export type { LogLine };

export interface DetectorReplica {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** The JSON lines the process wrote so far. */
  readonly logs: LogLine[];
  /** Its output that was not JSON (stack traces, node warnings). */
  readonly text: () => string;
  /** The last /metrics text scraped successfully (kept after the process is gone). */
  lastScrape: string | undefined;
  lastScrapeAt: number | undefined;
  scrape(): Promise<string>;
  /** The partitions of `topic` it was given at its latest group join; undefined before its first. */
  assignment(topic: string): number[] | undefined;
  /** How many times it (re)joined its group. */
  joins(): number;
  alive(): boolean;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `vigil detector` with the stack's addresses, its own HTTP port, the group, prefix and topics; resolves once /readyz answers 200. */
export async function startDetectorReplica(o: ReplicaOptions): Promise<DetectorReplica> {
  const env = stackEnv();
  const p = await startVigilProcess(
    'detector',
    {
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
      REDIS_URL: env.REDIS_URL,
      KAFKA_CLIENT_ID: o.name,
      REDIS_KEY_PREFIX: o.prefix,
      DETECTOR_GROUP_ID: o.groupId,
      DETECTOR_START: 'earliest',
      VIGIL_TOPIC_TRANSACTIONS: o.topics.transactions,
      VIGIL_TOPIC_DLQ: o.topics.dlq,
      VIGIL_TOPIC_FINDINGS: o.topics.findings,
      ...o.env,
    },
    { nice: o.nice },
  );
  const url = p.metricsUrl;
  const joinLines = () => p.logs().filter((l) => l.msg === 'Consumer has joined the group');
  const replica: DetectorReplica = {
    name: o.name,
    pid: p.pid,
    url,
    logs: p.logs(),
    text: () =>
      p
        .output()
        .split('\n')
        .filter((l) => !l.startsWith('{'))
        .join('\n'),
    lastScrape: undefined,
    lastScrapeAt: undefined,
    async scrape() {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`${o.name} /metrics answered ${res.status}`);
      const body = await res.text();
      replica.lastScrape = body;
      replica.lastScrapeAt = Date.now();
      return body;
    },
    assignment(topic) {
      const last = joinLines().at(-1) as { memberAssignment?: Record<string, number[]> } | undefined;
      return last ? [...(last.memberAssignment?.[topic] ?? [])].sort((a, b) => a - b) : undefined;
    },
    joins: () => joinLines().length,
    alive: () => p.exitCode() === undefined,
    exited: p.exited,
    kill: (signal) => p.kill(signal),
    async stop(graceMs = 20_000) {
      await p.stop(graceMs);
    },
  };
  await p.ready(90_000);
  return replica;
}

/**
 * Scrapes a replica's /metrics and sends it SIGKILL the moment the answer
 * arrives, from a small helper process of its own: the test process may be
 * busy (producing), and every millisecond between the scrape and the kill is
 * a chance for the replica to finish a batch the scrape does not show.
 * Returns the /metrics text and when the signal was sent.
 */
export async function scrapeAndKill(replica: DetectorReplica): Promise<{ text: string; killedAt: number }> {
  const script = [
    'const res = await fetch(process.argv[1] + "/metrics");',
    'const text = await res.text();',
    'process.kill(Number(process.argv[2]), "SIGKILL");',
    'process.stdout.write(JSON.stringify({ killedAt: Date.now(), ok: res.ok, text }));',
  ].join('\n');
  const helper = spawn(process.execPath, ['--input-type=module', '-e', script, replica.url, String(replica.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(helper);
  let out = '';
  let err = '';
  helper.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  helper.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => helper.once('exit', resolve));
  if (code !== 0) throw new Error(`could not scrape and kill ${replica.name}: ${err.slice(-1000)}`);
  const result = JSON.parse(out) as { killedAt: number; ok: boolean; text: string };
  if (!result.ok) throw new Error(`${replica.name} /metrics did not answer 200`);
  replica.lastScrape = result.text;
  replica.lastScrapeAt = result.killedAt;
  return result;
}

/** How many findings each detector gave, by detector name (for a test's report). */
export function countByDetector(findings: Iterable<Finding>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.detector] = (counts[f.detector] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort());
}

/** Events read (valid or not) and events dead-lettered, from a /metrics text. */
export function eventCounts(metrics: string): { consumed: number; rejected: number } {
  return { consumed: metricValue(metrics, 'vigil_events_consumed_total'), rejected: sample(metrics, 'vigil_events_rejected_total', '') };
}

/**
 * Waits until the live replicas hold disjoint sets of the topic's partitions
 * that together cover all of them (the group has settled), and returns each
 * one's partitions.
 */
export async function settledAssignment(replicas: readonly DetectorReplica[], topic: string, partitions: number, timeoutMs = 120_000): Promise<Map<DetectorReplica, number[]>> {
  return waitFor(() => {
    const live = replicas.filter((r) => r.alive());
    const held = new Map(live.map((r) => [r, r.assignment(topic)] as const));
    const all = [...held.values()].flatMap((p) => p ?? []);
    if ([...held.values()].some((p) => !p || p.length === 0)) return undefined;
    if (all.length !== partitions || new Set(all).size !== partitions) return undefined;
    return held as Map<DetectorReplica, number[]>;
  }, `the ${replicas.length} replicas to share the ${partitions} partitions of ${topic}`, timeoutMs, 200);
}

/** Follows a topic from its beginning (its own consumer group) until stopped. */
/**
 * Resolves with `read()` once two reads `intervalMs` apart agree (JSON
 * equality): a follower that has caught up, offsets no longer moving.
 */
export async function steady<T>(read: () => T | Promise<T>, what: string, intervalMs = 1000, timeoutMs = 30_000): Promise<T> {
  let last: string | undefined;
  return waitFor(async () => {
    const value = await read();
    const text = JSON.stringify(value);
    const same = text === last;
    last = text;
    return same ? value : undefined;
  }, what, timeoutMs, intervalMs);
}

/** Findings published more than once (at-least-once publishing): detector, subject and copies of each. */
export function publishedTwice(messages: readonly ReceivedMessage[]): string[] {
  const seen = new Map<string, Finding[]>();
  for (const f of findingsOf(messages)) seen.set(f.id, [...(seen.get(f.id) ?? []), f]);
  return [...seen.values()].filter((fs) => fs.length > 1).map((fs) => `${fs[0]!.detector} ${fs[0]!.subject.kind}:${fs[0]!.subject.value} ${new Date(fs[0]!.windowStart).toISOString()} x${fs.length}`);
}

/** Resolves once the group has committed every partition of the topic up to its end. */
export async function drained(admin: Admin, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  await waitFor(async () => (await admin.lag(groupId, topic)).every((p) => p.lag === 0 && Number(p.committed) >= 0) || undefined, `group ${groupId} to commit the end of ${topic}`, timeoutMs, 500);
}

export interface ProduceOptions {
  /** Messages per send. */
  chunk?: number;
  /** Sends in flight at once. */
  inFlight?: number;
  /** Wall-clock pace in messages a second (default: as fast as the broker takes them). */
  perSecond?: number;
  /** Called after each acknowledged chunk with the messages sent so far. */
  progress?: (sent: number) => void;
}

/** Produces messages in large batches, several sends in flight, yielding to the event loop between chunks. Returns counts and the seconds it took. */
export async function produceAll(producer: Producer, topic: string, messages: Iterable<{ key: string; value: Buffer; malformed: boolean }>, o: ProduceOptions = {}): Promise<{ sent: number; malformed: number; seconds: number }> {
  const chunkSize = o.chunk ?? 5000;
  const inFlight = o.inFlight ?? 4;
  const started = Date.now();
  let sent = 0;
  let malformed = 0;
  let chunk: { key: string; value: Buffer }[] = [];
  const sending = new Set<Promise<void>>();
  const flush = async (batch: { key: string; value: Buffer }[]) => {
    const p: Promise<void> = producer.send(topic, batch).then(() => {
      sending.delete(p);
      sent += batch.length;
      o.progress?.(sent);
    });
    sending.add(p);
    if (sending.size >= inFlight) await Promise.race(sending);
    if (o.perSecond) {
      const due = started + ((sent + sending.size * chunkSize) / o.perSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    } else await new Promise((r) => setImmediate(r));
  };
  for (const m of messages) {
    if (m.malformed) malformed++;
    chunk.push({ key: m.key, value: m.value });
    if (chunk.length >= chunkSize) {
      const batch = chunk;
      chunk = [];
      await flush(batch);
    }
  }
  if (chunk.length > 0) await flush(chunk);
  await Promise.all(sending);
  return { sent, malformed, seconds: (Date.now() - started) / 1000 };
}
