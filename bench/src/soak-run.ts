/**
 * The soak: a steady stream of realistic traffic (with attacks and malformed
 * messages) through a detector process and a notifier process on the local
 * stack, sampling their memory, Redis memory and the consumer lag while it
 * runs. `npm run soak` (bench/src/soak.ts) runs it for 30 minutes; the
 * integration test (test/integration/soak.test.ts) for 2.
 *
 * Time. The detector's state expires on event time (a subject's 5-minute
 * windows are kept 30 minutes), so a run compresses event time (90 minutes of
 * it by default) for that state to fill and turn over within the run, and the
 * warm-up is the first half (45 minutes of event time), with the run's first
 * clock hour boundary inside it (`eventClockStart`). Redis keys, though,
 * expire on the wall clock (PEXPIRE: minute buckets 3 h, checkpoints 5 h,
 * login sets 30 min): compressing event time makes time buckets pile up
 * faster than they expire, and at 1x they take hours to level off. So the
 * soak's Redis memory is reported in total and per key family, and the bound
 * is on what must not grow whatever the clock: every key has a TTL (or a
 * cap), and no family's largest key grows after the warm-up. Families whose
 * keys the detector caps in entries (subject checkpoints: one hash per api
 * and hour, at most maxSubjectsPerApiHour fields) are held to the cap and to
 * their bytes per entry instead: an hour's hash fills while its hour lasts
 * and subjects move out of it as they are seen in the next, so its size
 * depends on where the hour boundaries fall in the run, not on a leak.
 *
 * Memory of the processes: RSS from /proc, and the live heap (after each
 * full collection, from --trace-gc). V8 takes 5-7 minutes at this load to
 * size its heap, so runs shorter than 10 minutes are held to the live heap,
 * longer ones to RSS.
 *
 * What it starts, it stops: both processes (SIGTERM, then SIGKILL after a
 * bound), its topics, its Redis keys (a fresh prefix in their own database),
 * its Redis ACL user, its HTTP receiver and its temporary files (the logs are
 * kept when asked).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, createSchemaRegistry, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { defaultDetectorsConfig, parseThreatsDocument } from '@vigil/detectors';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '@vigil/detector';
import { createKafkaClient, type Admin, type OutgoingMessage, type Producer } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, deletePrefix, scanKeys, type Redis } from '@vigil/redis';
import { createRandom, scenarios, type Random } from '@vigil/simulator';
import { saveThreatsDocument } from '@vigil/state';
import { createLogger } from '@vigil/telemetry';
import { benchTraffic } from './traffic.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const MB = 1024 * 1024;

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
   * runs of 90 minutes or more (see the top of this file).
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

interface Child {
  /** Wall clock at spawn: V8's --trace-gc times count from about here. */
  spawnedAt: number;
  name: string;
  proc: ChildProcess;
  log: string;
  exited: Promise<number | null>;
  metricsPort: number;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The sum of a metric's samples in a Prometheus text (any labels). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([-+0-9.eE]+|NaN)$`, 'gm'))) {
    const v = Number(m[1]);
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

function rssMB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(probe: () => Promise<boolean> | boolean, what: string, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Mean of the samples just after the warm-up against the mean of the last ones (each a sixth of the measured span), and the slope. */
export function growth(samples: readonly SoakSample[], pick: (s: SoakSample) => number, warmupSeconds: number, endSeconds: number): Growth {
  return growthOf(samples.map((s) => ({ t: s.t, v: pick(s) })), warmupSeconds, endSeconds);
}

export function growthOf(points: readonly { t: number; v: number }[], warmupSeconds: number, endSeconds: number): Growth {
  const after = points.filter((p) => p.t >= warmupSeconds && p.t <= endSeconds);
  const span = Math.max(1, endSeconds - warmupSeconds);
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const head = after.filter((p) => p.t <= warmupSeconds + span / 6).map((p) => p.v);
  const tail = after.filter((p) => p.t >= endSeconds - span / 6).map((p) => p.v);
  // Sparse series (a full collection every minute or so): without a point in a window, the latest one before its end.
  const latest = (until: number) => points.filter((p) => p.t <= until).slice(-1).map((p) => p.v);
  const baseMB = mean(head.length > 0 ? head : latest(warmupSeconds + span / 6));
  const endMB = mean(tail.length > 0 ? tail : latest(endSeconds));
  let slope = 0;
  if (after.length >= 2) {
    const mt = mean(after.map((p) => p.t));
    const mv = mean(after.map((p) => p.v));
    let num = 0;
    let den = 0;
    for (const p of after) {
      num += (p.t - mt) * (p.v - mv);
      den += (p.t - mt) ** 2;
    }
    slope = den > 0 ? (num / den) * 3600 : 0;
  }
  return { baseMB: round(baseMB), endMB: round(endMB), pct: baseMB > 0 ? round(((endMB - baseMB) / baseMB) * 100) : 0, slopeMBPerHour: round(slope) };
}

/**
 * V8's heap after each full collection (Mark-Compact), from a --trace-gc log:
 * the live heap, which a leak makes grow whatever the GC's pacing. Times are
 * seconds since `t0` (the isolate starts about when the process is spawned).
 */
export function liveHeapOf(log: string, spawnedAt: number, t0: number): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  for (const m of log.matchAll(/^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/gm)) {
    out.push({ t: round((spawnedAt + Number(m[1]) - t0) / 1000), v: Number(m[2]) });
  }
  return out;
}

/**
 * Key families that have no TTL by design: written by people, not traffic
 * (the known-threats document, suppressions), or indexes with a cap (the
 * notifier's recent incidents, its open incidents).
 */
const UNEXPIRING = new Set(['threats', 'suppressions', 'notifier:recent', 'notifier:open']);

/**
 * Families whose keys the detector caps in entries, with the cap the soak's detector runs with (its
 * defaults): subject checkpoints, a hash per api and hour written through put-capped.lua.
 */
export const ENTRY_CAPPED: Readonly<Record<string, number>> = { sc: defaultDetectorsConfig.maxSubjectsPerApiHour };

/** Per key family: memory, key count and bytes per key just after the warm-up and at the end (means over a sixth of the measured span each). */
export function familyGrowth(samples: readonly SoakSample[], warmupSeconds: number, endSeconds: number): Record<string, FamilyGrowth> {
  const after = samples.filter((s) => s.t >= warmupSeconds);
  const span = Math.max(1, endSeconds - warmupSeconds);
  const head = after.filter((s) => s.t <= warmupSeconds + span / 6);
  const tail = after.filter((s) => s.t >= endSeconds - span / 6);
  const h = head.length > 0 ? head : after.slice(0, 1);
  const t = tail.length > 0 ? tail : after.slice(-1);
  const mean = (xs: readonly SoakSample[], pick: (s: SoakSample) => number) => (xs.length === 0 ? 0 : xs.reduce((a, s) => a + pick(s), 0) / xs.length);
  const total = mean(t, (s) => s.soakRedisMB);
  const families = new Set(t.flatMap((s) => Object.keys(s.soakRedisByFamily)));
  const out: Record<string, FamilyGrowth> = {};
  for (const f of families) {
    const baseMB = mean(h, (s) => s.soakRedisByFamily[f] ?? 0);
    const endMB = mean(t, (s) => s.soakRedisByFamily[f] ?? 0);
    const baseKeys = mean(h, (s) => s.soakKeysByFamily[f] ?? 0);
    const endKeys = mean(t, (s) => s.soakKeysByFamily[f] ?? 0);
    const basePerKey = baseKeys > 0 ? (baseMB * MB) / baseKeys : 0;
    const endPerKey = endKeys > 0 ? (endMB * MB) / endKeys : 0;
    const baseMax = mean(h, (s) => s.soakMaxKeyByFamily[f] ?? 0);
    const endMax = mean(t, (s) => s.soakMaxKeyByFamily[f] ?? 0);
    const maxKeyGrowthPct = baseMax > 0 ? round(((endMax - baseMax) / baseMax) * 100) : 0;
    const cap = ENTRY_CAPPED[f];
    let capped: Partial<FamilyGrowth> = {};
    if (cap !== undefined) {
      const perEntry = (xs: readonly SoakSample[]) => {
        const entries = xs.reduce((a, s) => a + (s.soakEntriesByFamily?.[f] ?? 0), 0);
        return entries > 0 ? (xs.reduce((a, s) => a + (s.soakRedisByFamily[f] ?? 0), 0) * MB) / entries : 0;
      };
      const base = perEntry(h);
      const end = perEntry(t);
      capped = {
        entryCap: cap,
        maxEntries: Math.max(0, ...after.map((s) => s.soakMaxEntriesByFamily?.[f] ?? 0)),
        baseBytesPerEntry: Math.round(base),
        endBytesPerEntry: Math.round(end),
        bytesPerEntryGrowthPct: base > 0 ? round(((end - base) / base) * 100) : 0,
      };
    }
    out[f] = {
      baseMB: round(baseMB, 3),
      endMB: round(endMB, 3),
      baseKeys: Math.round(baseKeys),
      endKeys: Math.round(endKeys),
      baseBytesPerKey: Math.round(basePerKey),
      endBytesPerKey: Math.round(endPerKey),
      baseMaxKeyBytes: Math.round(baseMax),
      endMaxKeyBytes: Math.round(endMax),
      maxKeyGrowthPct,
      ...capped,
      growthPct: capped.bytesPerEntryGrowthPct ?? maxKeyGrowthPct,
      share: total > 0 ? round(endMB / total, 3) : 0,
    };
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1].endMB - a[1].endMB));
}

/** The family of a soak key: `prefix:{tag}:kind:…` → kind (claims, notifier and outbox keys by their tag). */
function familyOf(key: string, prefix: string): string {
  const rest = key.slice(prefix.length + 1);
  const m = /^\{([^}]*)\}(?::([^:]*))?/.exec(rest);
  if (!m) return 'other';
  const tag = m[1]!;
  if (tag.startsWith('claims-')) return 'claims';
  if (tag === 'threats' || tag === 'suppressions') return tag;
  if (/^(notifier|outbox)/.test(tag)) return `${tag}:${m[2] ?? ''}`;
  return m[2] ?? 'other';
}

/** Sums MEMORY USAGE over the soak's keys (SCAN of its prefix in its own database). */
async function soakRedisMemory(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; bytes: number; byFamily: Record<string, number>; keysByFamily: Record<string, number>; maxKeyByFamily: Record<string, number>; entriesByFamily: Record<string, number>; maxEntriesByFamily: Record<string, number>; withoutTtl: Record<string, number> }> {
  let keys = 0;
  let bytes = 0;
  const withoutTtl: Record<string, number> = {};
  const byFamily: Record<string, number> = {};
  const keysByFamily: Record<string, number> = {};
  const maxKeyByFamily: Record<string, number> = {};
  const entriesByFamily: Record<string, number> = {};
  const maxEntriesByFamily: Record<string, number> = {};
  await scanKeys(redis, `${prefix}:*`, async (batch) => {
    // MEMORY USAGE and PTTL for every key, and HLEN for the keys of the entry-capped (hash) families.
    const p = redis.pipeline();
    const at: number[] = [];
    let replyCount = 0;
    for (const k of batch) {
      at.push(replyCount);
      p.memory('USAGE', k, 'SAMPLES', 0).pttl(k);
      replyCount += 2;
      if (ENTRY_CAPPED[familyOf(k, prefix)] !== undefined) {
        p.hlen(k);
        replyCount++;
      }
    }
    const replies = (await p.exec()) ?? [];
    batch.forEach((k, i) => {
      const r = at[i]!;
      const b = Number(replies[r]?.[1] ?? 0);
      if (!b) return; // expired between SCAN and MEMORY USAGE
      keys++;
      bytes += b;
      const f = familyOf(k, prefix);
      byFamily[f] = (byFamily[f] ?? 0) + b;
      keysByFamily[f] = (keysByFamily[f] ?? 0) + 1;
      maxKeyByFamily[f] = Math.max(maxKeyByFamily[f] ?? 0, b);
      if (Number(replies[r + 1]?.[1]) === -1) withoutTtl[f] = (withoutTtl[f] ?? 0) + 1;
      if (ENTRY_CAPPED[f] !== undefined) {
        const n = Number(replies[r + 2]?.[1] ?? 0);
        entriesByFamily[f] = (entriesByFamily[f] ?? 0) + n;
        maxEntriesByFamily[f] = Math.max(maxEntriesByFamily[f] ?? 0, n);
      }
    });
  });
  return { keys, bytes, byFamily, keysByFamily, maxKeyByFamily, entriesByFamily, maxEntriesByFamily, withoutTtl };
}

/** A local receiver for the notifier's channels: counts what arrives and checks the webhook signatures. */
async function startReceiver(webhookSecret: string): Promise<{ url: string; count: () => number; byChannel: Record<string, number>; badSignatures: () => number; stop: () => Promise<void> }> {
  let count = 0;
  let bad = 0;
  const byChannel: Record<string, number> = {};
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const channel = /^\/([a-z]+)\//.exec(req.url ?? '')?.[1] ?? 'other';
      byChannel[channel] = (byChannel[channel] ?? 0) + 1;
      const body = Buffer.concat(chunks);
      if ((req.url ?? '').startsWith('/hook/')) {
        const expected = `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`;
        if (req.headers['x-vigil-signature'] !== expected) bad++;
      }
      const pd = (req.url ?? '').startsWith('/pd/');
      res.writeHead(pd ? 202 : 200, { 'content-type': 'application/json' });
      res.end(pd ? '{"status":"success","message":"Event processed"}' : '{"ok":true}');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    byChannel,
    badSignatures: () => bad,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Malformed messages of several kinds (each one is dead-lettered by the detector). */
function malformed(i: number, e: ApiTransaction): OutgoingMessage {
  const key = e.principal ?? e.clientIp ?? e.api;
  switch (i % 6) {
    case 0:
      return { key, value: '{"id":"broken-' + i + '","timestamp":' };
    case 1: {
      const { status: _status, ...rest } = e;
      return { key, value: JSON.stringify({ ...rest, timestamp: new Date(e.timestamp).toISOString() }) };
    }
    case 2:
      return { key, value: JSON.stringify({ ...e, direction: 'sideways', timestamp: new Date(e.timestamp).toISOString() }) };
    case 3:
      return { key, value: null };
    case 4:
      return { key, value: Buffer.from([0, 0, 0, 0, 1, 2, 3]) }; // Confluent frame, too short to be an event
    default:
      return { key, value: 'GET /users/1 HTTP/1.1' };
  }
}

/** Attacks from the simulator's scenarios that add events (the ones that reshape traffic need hours). */
const ATTACKS = ['known-bad-ip', 'bola-random', 'credential-stuffing', 'scraping-bot', 'bola-sequential', 'burst', 'credential-stuffing-distributed', 'huge-export'] as const;

function generatedSecrets(): SoakSecrets {
  return {
    webhookSecret: `whsec-${randomBytes(12).toString('hex')}`,
    webhookUrlToken: `HOOKTOKEN${randomBytes(8).toString('hex')}`,
    slackUrlToken: `SLACKTOKEN${randomBytes(8).toString('hex')}`,
    pagerDutyKey: randomBytes(16).toString('hex'), // 32 characters, as PagerDuty's
    apiToken: `api-${randomBytes(12).toString('hex')}`,
    registryPassword: `regpw-${randomBytes(8).toString('hex')}`,
    redisPassword: `redispw-${randomBytes(10).toString('hex')}`,
  };
}

const HOUR_MS = 3_600_000;

/**
 * Where the run's event time starts. Event time runs `timeScale` times the
 * wall clock and ends no later than the run's wall-clock end (never in the
 * future). Within that, it is placed so that its first hour boundary falls at
 * 70% of the warm-up: a subject's checkpoint holds a row per clock hour it
 * called in, kept 3 hours, so crossing an hour adds a row to nearly every
 * subject within minutes of event time (measured in the 2-minute run: 1.00 ->
 * 2.00 rows, 427 -> 477 bytes an entry, +11.7%). That is the state taking its
 * shape, bounded by the rows' TTL, and belongs in the warm-up; left to the
 * wall clock, the boundary fell after the warm-up in some runs and not in
 * others. At the default 90 minutes of event time the next boundary falls
 * after the run's end (31.5 + 60 > 90 minutes).
 */
export function eventClockStart(t0: number, durationMs: number, timeScale: number, warmupMs: number): number {
  const latest = t0 - (timeScale - 1) * durationMs;
  const boundaryAt = 0.7 * warmupMs * timeScale;
  return Math.floor((latest + boundaryAt) / HOUR_MS) * HOUR_MS - boundaryAt;
}

/** Runs the soak; never throws for a failed bound (see `problems`), only when the stack cannot be used. */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const note = o.note ?? ((line: string) => process.stderr.write(`soak: ${line}\n`));
  const minutes = o.minutes;
  const rate = o.rate;
  const durationMs = Math.round(minutes * 60_000);
  const sampleMs = Math.round((o.sampleEverySeconds ?? Math.min(30, Math.max(5, (minutes * 60) / 60))) * 1000);
  const timeScale = o.timeScale ?? Math.max(1, 90 / minutes);
  const warmupSeconds = (o.warmupFraction ?? 0.5) * minutes * 60;
  const malformedShare = o.malformedShare ?? 0.002;
  const avroShare = o.avroShare ?? 0.1;
  const attackEveryMs = (o.attackEverySeconds ?? Math.min(60, (minutes * 60) / 6)) * 1000;
  const partitions = o.partitions ?? 6;
  const traceGc = o.traceGc ?? true;
  const brokers = o.kafkaBrokers ?? '127.0.0.1:19092';
  const registryUrl = o.schemaRegistryUrl ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
  const baseRedis = new URL(o.redisUrl ?? 'redis://127.0.0.1:16379');
  baseRedis.pathname = `/${o.redisDb ?? 11}`;
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const prefix = `soak-${run}`;
  const topics = { transactions: `soak.${run}.tx`, dlq: `soak.${run}.dlq`, findings: `soak.${run}.findings`, incidents: `soak.${run}.incidents` };
  const dir = mkdtempSync(join(tmpdir(), 'vigil-soak-'));
  const logDir = o.logDir ?? dir;

  // The secrets the processes are given: none may reach a log line.
  const secrets: SoakSecrets = {
    ...generatedSecrets(),
    ...o.secrets,
  };

  const logger = createLogger({ service: 'soak', level: 'error' });
  const kafka = createKafkaClient({ brokers: brokers.split(','), clientId: 'vigil-soak' }, logger);
  const redis = createRedis({ url: baseRedis.toString(), connectionName: 'vigil-soak' }) as Redis;
  await connectRedis(redis);
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  const children: Child[] = [];
  const aclUser = `vigil-soak-${run}`;
  let redisPassword = false;
  const killAll = () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  };
  process.once('exit', killAll);

  try {
    admin = await kafka.admin();
    await admin.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions })));

    // A Redis user of its own, so the processes' REDIS_URL carries a password (removed at the end).
    let serviceRedisUrl = new URL(baseRedis.toString());
    try {
      await redis.call('ACL', 'SETUSER', aclUser, 'reset', 'on', `>${secrets.redisPassword}`, '~*', '&*', '+@all');
      serviceRedisUrl.username = aclUser;
      serviceRedisUrl.password = secrets.redisPassword;
      redisPassword = true;
    } catch (err) {
      note(`no Redis ACL user (${(err as Error).message}); the processes connect without a password`);
      serviceRedisUrl = new URL(baseRedis.toString());
    }

    // The known-threats store, for the known-bad-ip attack.
    const threats = ATTACKS.flatMap((name) => scenarios[name]!.attack({ at: 0, r: createRandom(1), scenario: name, id: () => 'x' }).threats ?? []);
    await saveThreatsDocument(redis, prefix, parseThreatsDocument({ entries: threats }));

    receiver = await startReceiver(secrets.webhookSecret);
    const secretFile = join(dir, 'webhook-secret');
    writeFileSync(secretFile, `${secrets.webhookSecret}\n`, { mode: 0o600 });
    const escalationFile = join(dir, 'escalation.json');
    writeFileSync(
      escalationFile,
      JSON.stringify({
        groupBy: ['detector', 'api', 'subject'],
        notify: { findings: 3, withinMs: 600_000, minSeverity: 'high' },
        wakeUp: { severities: ['critical'], detectors: ['known_threat'], ackTimeoutMs: 0 },
        repeatIntervalMs: 300_000,
        resolveAfterMs: 120_000,
        tiers: { notify: ['hook', 'chat'], wake_up: ['pager', 'hook'] },
        rateLimitPerMinute: 30,
        channels: {
          hook: { type: 'webhook', url: { env: 'SOAK_HOOK_URL' }, secret: { file: secretFile } },
          chat: { type: 'slack', webhookUrl: { env: 'SOAK_SLACK_URL' } },
          pager: { type: 'pagerduty', routingKey: { env: 'SOAK_PAGERDUTY_KEY' }, url: { env: 'SOAK_PAGERDUTY_URL' } },
        },
      }),
    );
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      ...(o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}),
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      SCHEMA_REGISTRY_USERNAME: 'vigil-soak',
      SCHEMA_REGISTRY_PASSWORD: secrets.registryPassword,
      REDIS_URL: serviceRedisUrl.toString(),
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: o.logLevel ?? 'info',
      VIGIL_TOPIC_FINDINGS: topics.findings,
      VIGIL_TOPIC_PARTITIONS: String(partitions),
    };
    const cli = join(repo, 'services/cli/dist/main.js');
    const startChild = async (name: 'detector' | 'notifier', env: NodeJS.ProcessEnv): Promise<Child> => {
      const metricsPort = await freePort();
      const log = join(logDir, `${name}-${run}.log`);
      const out: WriteStream = createWriteStream(log);
      const spawnedAt = Date.now();
      const proc = spawn(process.execPath, [...(traceGc ? ['--trace-gc'] : []), cli, name], { cwd: repo, env: { ...common, ...env, HTTP_PORT: String(metricsPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.pipe(out, { end: false });
      proc.stderr!.pipe(out, { end: false });
      const exited = new Promise<number | null>((resolve) =>
        proc.once('exit', (code) => {
          // Let the pipes drain before closing the file.
          setTimeout(() => out.end(() => resolve(code)), 100);
        }),
      );
      const child: Child = { name, proc, log, exited, metricsPort, spawnedAt };
      children.push(child);
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200, `the ${name} to be ready (log: ${log})`, 90_000);
      return child;
    };
    const detector = await startChild('detector', {
      // The checkpoint schedule is wall-clock: compressed like event time, it keeps its production cadence in
      // event time (5 s), rather than a checkpoint every timeScale × 5 s of event time (~4 minutes at 45x).
      DETECTOR_CHECKPOINT_INTERVAL_MS: String(Math.max(100, Math.round(DEFAULT_CHECKPOINT_INTERVAL_MS / timeScale))),
      DETECTOR_GROUP_ID: `soak-detector-${run}`,
      DETECTOR_START: 'earliest',
      VIGIL_TOPIC_TRANSACTIONS: topics.transactions,
      VIGIL_TOPIC_DLQ: topics.dlq,
    });
    const notifier = await startChild('notifier', {
      NOTIFIER_GROUP_ID: `soak-notifier-${run}`,
      NOTIFIER_START: 'earliest',
      NOTIFIER_ESCALATION_FILE: escalationFile,
      NOTIFIER_API_TOKEN: secrets.apiToken,
      NOTIFIER_API_PORT: String(await freePort()),
      VIGIL_TOPIC_INCIDENTS: topics.incidents,
      SOAK_HOOK_URL: `${receiver.url}/hook/${secrets.webhookUrlToken}`,
      SOAK_SLACK_URL: `${receiver.url}/slack/services/${secrets.slackUrlToken}`,
      SOAK_PAGERDUTY_KEY: secrets.pagerDutyKey,
      SOAK_PAGERDUTY_URL: `${receiver.url}/pd/v2/enqueue`,
    });
    note(`detector pid ${detector.proc.pid}, notifier pid ${notifier.proc.pid}; ${rate} events/s for ${minutes} min; prefix ${prefix} in db ${baseRedis.pathname.slice(1)}; logs in ${logDir}`);

    // Producer: realistic background traffic, attacks mixed in, some malformed messages, some Avro.
    producer = await kafka.producer();
    const codec = createCodec(transactionContract, { topic: topics.transactions, registry: createSchemaRegistry({ url: registryUrl }) });
    const seed = Number.parseInt(run.slice(-4), 16) || 1;
    const r: Random = createRandom(seed);
    const background = benchTraffic(Number.POSITIVE_INFINITY, 0, rate, seed);
    const t0 = Date.now();
    const eventT0 = eventClockStart(t0, durationMs, timeScale, warmupSeconds * 1000);
    const eventTime = (wall: number) => eventT0 + (wall - t0) * timeScale;
    let produced = 0;
    let malformedProduced = 0;
    let avroProduced = 0;
    let attacks = 0;
    let attackEvents = 0;
    let nextAttack = t0 + attackEveryMs / 2;
    const pendingAttack: ApiTransaction[] = [];

    const samples: SoakSample[] = [];
    const metricsOf = async (c: Child) => {
      try {
        return await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      } catch {
        return '';
      }
    };
    const takeSample = async (): Promise<SoakSample> => {
      const [dm, nm, info, mem, lagParts] = await Promise.all([
        metricsOf(detector),
        metricsOf(notifier),
        redis.info('memory'),
        soakRedisMemory(redis, prefix),
        admin!.lag(`soak-detector-${run}`, topics.transactions).catch(() => []),
      ]);
      const s: SoakSample = {
        t: round((Date.now() - t0) / 1000),
        produced,
        consumed: metricSum(dm, 'vigil_events_consumed_total'),
        lag: lagParts.reduce((a, p) => a + p.lag, 0),
        findings: metricSum(dm, 'vigil_findings_total'),
        deadLetters: metricSum(dm, 'vigil_events_rejected_total'),
        detectorRssMB: round(rssMB(detector.proc.pid)),
        detectorHeapMB: round(metricSum(dm, 'vigil_nodejs_heap_size_used_bytes') / MB),
        detectorHeapTotalMB: round(metricSum(dm, 'vigil_nodejs_heap_size_total_bytes') / MB),
        detectorExternalMB: round(metricSum(dm, 'vigil_nodejs_external_memory_bytes') / MB),
        notifierRssMB: round(rssMB(notifier.proc.pid)),
        notifierHeapMB: round(metricSum(nm, 'vigil_nodejs_heap_size_used_bytes') / MB),
        notifierFindings: metricSum(nm, 'vigil_notifier_findings_total'),
        notifications: receiver!.count(),
        redisUsedMB: round(Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0) / MB),
        soakKeys: mem.keys,
        soakRedisMB: round(mem.bytes / MB, 2),
        soakRedisByFamily: Object.fromEntries(Object.entries(mem.byFamily).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / MB, 3)])),
        soakKeysByFamily: mem.keysByFamily,
        soakMaxKeyByFamily: mem.maxKeyByFamily,
        soakEntriesByFamily: mem.entriesByFamily,
        soakMaxEntriesByFamily: mem.maxEntriesByFamily,
        soakKeysWithoutTtl: mem.withoutTtl,
      };
      samples.push(s);
      note(
        `t=${s.t}s produced=${s.produced} consumed=${s.consumed} lag=${s.lag} detector rss=${s.detectorRssMB}MB heap=${s.detectorHeapMB}MB notifier rss=${s.notifierRssMB}MB soak redis=${s.soakRedisMB}MB (${s.soakKeys} keys) findings=${s.findings} notifications=${s.notifications}`,
      );
      return s;
    };
    let sampling = Promise.resolve();
    let nextSample = t0 + sampleMs;
    const crashed = () => children.find((c) => c.proc.exitCode !== null || c.proc.signalCode !== null);

    while (Date.now() - t0 < durationMs && !o.signal?.aborted) {
      const now = Date.now();
      const dead = crashed();
      if (dead) throw new Error(`the ${dead.name} exited during the soak (code ${dead.proc.exitCode}); log: ${dead.log}`);
      if (now >= nextAttack) {
        const name = ATTACKS[attacks % ATTACKS.length]!;
        let n = 0;
        const wave = attacks;
        const attack = scenarios[name]!.attack({ at: eventTime(now), r, scenario: name, id: () => `atk-${run}-${wave}-${n++}` });
        pendingAttack.push(...(attack.events ?? []));
        pendingAttack.sort((a, b) => a.timestamp - b.timestamp);
        attacks++;
        nextAttack += attackEveryMs;
      }
      // Catch up to the steady rate (a slow send is made up on the next tick).
      const due = Math.min(Math.floor(((now - t0) / 1000) * rate), Math.floor((durationMs / 1000) * rate)) - produced;
      if (due > 0) {
        const tickStart = eventTime(now - 100);
        const messages: OutgoingMessage[] = [];
        const encodes: Promise<void>[] = [];
        for (let i = 0; i < due; i++) {
          const ts = Math.round(tickStart + ((i + 1) / due) * 100 * timeScale);
          let e: ApiTransaction;
          if (pendingAttack.length > 0 && pendingAttack[0]!.timestamp <= ts) {
            e = pendingAttack.shift()!;
            attackEvents++;
          } else {
            e = background.next().value as ApiTransaction;
            e.timestamp = ts;
          }
          const key = e.principal ?? e.clientIp ?? e.clientId ?? e.api;
          const roll = r.next();
          if (roll < malformedShare) {
            messages.push(malformed(malformedProduced++, e));
          } else if (roll < malformedShare + avroShare) {
            const slot = messages.length;
            messages.push({ key, value: null });
            avroProduced++;
            encodes.push(codec.encodeAvro(e).then((value) => void (messages[slot] = { key, value })));
          } else {
            messages.push({ key, value: codec.encodeJson(e) });
          }
        }
        await Promise.all(encodes);
        await producer.send(topics.transactions, messages);
        produced += due;
      }
      if (Date.now() >= nextSample) {
        nextSample += sampleMs;
        sampling = sampling.then(() => takeSample().then(() => undefined));
      }
      await sleep(Math.max(0, 100 - (Date.now() - now)));
    }
    await sampling;
    const producingSeconds = (Date.now() - t0) / 1000;
    if (o.signal?.aborted) note(`stopped early after ${producingSeconds.toFixed(0)} s`);
    note(`produced ${produced} events in ${producingSeconds.toFixed(0)} s; draining`);

    // Drain: the detector's group must reach the end of the topic.
    const drainStart = Date.now();
    let final = await takeSample();
    while ((final.lag > 0 || final.consumed < produced || final.notifierFindings < final.findings) && Date.now() - drainStart < 120_000) {
      await sleep(1000);
      final = await takeSample();
    }
    const drainSeconds = round((Date.now() - drainStart) / 1000);

    // Stop both processes (SIGTERM, SIGKILL after 30 s).
    const exitCodes: SoakReport['exitCodes'] = { detector: null, notifier: null };
    for (const c of [notifier, detector]) {
      c.proc.kill('SIGTERM');
      const code = await Promise.race([c.exited, sleep(30_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        c.proc.kill('SIGKILL');
        await c.exited;
      }
      exitCodes[c.name as 'detector' | 'notifier'] = code === 'timeout' ? null : code;
    }

    // Logs: every line of both processes, grepped for the secrets.
    const logText = { detector: readFileSync(detector.log, 'utf8'), notifier: readFileSync(notifier.log, 'utf8') };
    const allLines = `${logText.detector}\n${logText.notifier}`.split('\n').filter((l) => l.trim() !== '');
    const secretsFound = Object.entries(secrets).filter(([, v]) => allLines.some((l) => l.includes(v))).map(([k]) => k);
    // Errors: error and fatal lines, and anything that is neither a JSON log line nor V8's GC trace (a raw stack trace, say).
    const errorLines = allLines.filter((l) => /"level":"(error|fatal)"/.test(l) || !(l.startsWith('{') || /^\[\d+:0x[0-9a-f]+\]/.test(l))).length;
    const detectorLive = liveHeapOf(logText.detector, detector.spawnedAt, t0);
    const notifierLive = liveHeapOf(logText.notifier, notifier.spawnedAt, t0);

    const endSeconds = samples.filter((s) => s.t <= producingSeconds + 1).at(-1)?.t ?? producingSeconds;
    const during = samples.filter((s) => s.t <= producingSeconds + 1);
    const detectorRss = growth(during, (s) => s.detectorRssMB, warmupSeconds, endSeconds);
    const detectorHeap = growth(during, (s) => s.detectorHeapMB, warmupSeconds, endSeconds);
    const notifierRss = growth(during, (s) => s.notifierRssMB, warmupSeconds, endSeconds);
    const soakRedis = growth(during, (s) => s.soakRedisMB, warmupSeconds, endSeconds);
    const detectorLiveHeap = growthOf(detectorLive, warmupSeconds, endSeconds);
    const notifierLiveHeap = growthOf(notifierLive, warmupSeconds, endSeconds);
    const redisFamilies = familyGrowth(during, warmupSeconds, endSeconds);
    const bigFamilies = Object.values(redisFamilies).filter((f) => f.share >= 0.05 && f.baseKeys > 0);
    const lags = during.map((s) => s.lag);
    const lagsAfter = during.filter((s) => s.t >= warmupSeconds).map((s) => s.lag);
    const report: SoakReport = {
      minutes,
      rate,
      timeScale,
      warmupSeconds: round(warmupSeconds),
      eventsProduced: produced,
      eventsConsumed: final.consumed,
      achievedRate: Math.round(produced / producingSeconds),
      malformedProduced,
      avroProduced,
      attacks,
      attackEvents,
      deadLetters: final.deadLetters,
      findings: final.findings,
      notifierFindings: final.notifierFindings,
      notifications: receiver.count(),
      notificationsByChannel: { ...receiver.byChannel },
      webhookSignaturesValid: receiver.badSignatures() === 0,
      drainSeconds,
      lagMax: Math.max(0, ...lags),
      lagMaxAfterWarmup: Math.max(0, ...lagsAfter),
      lagEnd: final.lag,
      memoryMeasure: minutes >= 10 || !traceGc ? 'rss' : 'liveHeap',
      rssGrowthPct: detectorRss.pct,
      notifierRssGrowthPct: notifierRss.pct,
      liveHeapGrowthPct: detectorLiveHeap.pct,
      notifierLiveHeapGrowthPct: notifierLiveHeap.pct,
      redisGrowthPct: soakRedis.pct,
      redisKeyGrowthPct: Math.max(0, ...bigFamilies.map((f) => f.growthPct)),
      redisOverCap: Object.entries(redisFamilies)
        .filter(([, f]) => f.entryCap !== undefined && (f.maxEntries ?? 0) > f.entryCap)
        .map(([name, f]) => `${name}: ${f.maxEntries} entries in a key (cap ${f.entryCap})`),
      redisKeysWithoutTtl: Math.max(0, ...samples.map((s) => Object.entries(s.soakKeysWithoutTtl).filter(([f]) => !UNEXPIRING.has(f)).reduce((a, [, n]) => a + n, 0))),
      redisFamilies,
      detectorRss,
      detectorHeap,
      detectorLiveHeap,
      notifierRss,
      notifierLiveHeap,
      soakRedis,
      liveHeapMB: { detector: detectorLive.map((p) => [p.t, p.v]), notifier: notifierLive.map((p) => [p.t, p.v]) },
      samples,
      logs: { detector: detector.log, notifier: notifier.log, lines: allLines.length, errorLines, secretsFound },
      exitCodes,
      redisPassword,
      problems: [],
      machine: `${hostname()} ${cpus().length}x ${cpus()[0]?.model ?? 'cpu'} node ${process.version}`,
    };
    report.problems = soakProblems(report);
    return report;
  } finally {
    killAll();
    await Promise.all(children.map((c) => Promise.race([c.exited, sleep(5000)])));
    process.removeListener('exit', killAll);
    await producer?.disconnect().catch(() => undefined);
    await receiver?.stop().catch(() => undefined);
    if (!o.keepState) {
      await admin?.deleteTopics(Object.values(topics)).catch(() => undefined);
      await deletePrefix(redis, prefix).catch(() => undefined);
    }
    await admin?.disconnect().catch(() => undefined);
    if (redisPassword) await redis.call('ACL', 'DELUSER', aclUser).catch(() => undefined);
    await closeRedis(redis);
    if (!o.keepLogs) rmSync(dir, { recursive: true, force: true });
    else rmSync(join(dir, 'webhook-secret'), { force: true });
  }
}

/** The bounds the soak holds the run to; empty when it passed. */
export function soakProblems(r: SoakReport, limits: { growthPct?: number; lagSeconds?: number } = {}): string[] {
  const growthPct = limits.growthPct ?? 10;
  const lagBound = (limits.lagSeconds ?? 30) * r.rate;
  const problems: string[] = [];
  if (r.memoryMeasure === 'rss') {
    if (r.rssGrowthPct >= growthPct) problems.push(`detector RSS grew ${r.rssGrowthPct}% after the warm-up (bound ${growthPct}%)`);
    if (r.notifierRssGrowthPct >= growthPct) problems.push(`notifier RSS grew ${r.notifierRssGrowthPct}% after the warm-up (bound ${growthPct}%)`);
  } else {
    if (r.liveHeapGrowthPct >= growthPct) problems.push(`the detector's live heap grew ${r.liveHeapGrowthPct}% after the warm-up (bound ${growthPct}%)`);
    if (r.notifierLiveHeapGrowthPct >= growthPct) problems.push(`the notifier's live heap grew ${r.notifierLiveHeapGrowthPct}% after the warm-up (bound ${growthPct}%)`);
  }
  if (r.redisKeyGrowthPct >= growthPct) {
    const worst = Object.entries(r.redisFamilies).find(([, f]) => f.share >= 0.05 && f.growthPct === r.redisKeyGrowthPct)?.[0] ?? '?';
    const what = r.redisFamilies[worst]?.entryCap !== undefined ? 'bytes per entry' : 'largest key';
    problems.push(`the ${what} of Redis key family ${worst} grew ${r.redisKeyGrowthPct}% after the warm-up (bound ${growthPct}%)`);
  }
  for (const over of r.redisOverCap) problems.push(`a Redis key over its entry cap: ${over}`);
  if (r.redisKeysWithoutTtl > 0) problems.push(`${r.redisKeysWithoutTtl} soak keys without a TTL`);
  if (r.lagMaxAfterWarmup > lagBound) problems.push(`consumer lag reached ${r.lagMaxAfterWarmup} after the warm-up (bound ${lagBound}: ${limits.lagSeconds ?? 30} s of traffic)`);
  if (r.eventsConsumed !== r.eventsProduced || r.lagEnd !== 0) problems.push(`the detector did not catch up: consumed ${r.eventsConsumed} of ${r.eventsProduced}, lag ${r.lagEnd} after a ${r.drainSeconds} s drain`);
  if (r.achievedRate < r.rate * 0.95) problems.push(`the producer held ${r.achievedRate} events/s, not ${r.rate}`);
  if (r.deadLetters !== r.malformedProduced) problems.push(`${r.deadLetters} dead letters for ${r.malformedProduced} malformed messages`);
  if (r.logs.secretsFound.length > 0) problems.push(`secrets in the logs: ${r.logs.secretsFound.join(', ')}`);
  if (!r.webhookSignaturesValid) problems.push('webhook deliveries with a wrong signature');
  if (r.exitCodes.detector !== 0 || r.exitCodes.notifier !== 0) problems.push(`exit codes: detector ${r.exitCodes.detector}, notifier ${r.exitCodes.notifier}`);
  return problems;
}
