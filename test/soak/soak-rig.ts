/**
 * The soak: a steady stream of realistic traffic (with attacks and malformed
 * messages) through a detector process and a notifier process on the local
 * stack, sampling their memory, Redis memory and the consumer lag while it
 * runs. `npm run soak` (bench/src/soak.ts, through soak.run.ts) runs it for
 * 30 minutes; the integration test (test/integration/soak.test.ts) for 2.
 *
 * Time. The detector's state expires on event time (a subject's hour-long
 * windows are kept 65 minutes, its hour rows the hour its windows start in and
 * the one before), so a run compresses event time (4 hours of it by default)
 * for that state to fill and turn over within the run, and the warm-up is the
 * first half (2 hours of event time), with two clock hour boundaries inside it
 * (`eventClockStart`). Redis keys, though,
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCodec, createSchemaRegistry, transactionContract } from '@vigil/contracts';
import { parseThreatsDocument } from '@vigil/detectors';
import { createKafkaClient, type Admin, type KafkaClient, type Producer } from '@vigil/kafka';
import { closeRedis, connectRedis, createRedis, deletePrefix, type Redis } from '@vigil/redis';
import { saveThreatsDocument } from '@vigil/state';
import { createLogger } from '@vigil/telemetry';
import type { VigilProcess } from '../support/vigil-process.js';
import { attackThreats } from './attacks.js';
import { eventClockStart } from './event-clock.js';
import { writeEscalation } from './escalation.js';
import { liveHeapOf } from './figures.js';
import { drain, produceLoad } from './load.js';
import { createMessageMix } from './message-mix.js';
import { readProcessLogs } from './process-logs.js';
import { logFileOf, startSoakProcesses } from './processes.js';
import { startChannelReceiver, type ChannelReceiver } from './receiver.js';
import { soakReport } from './report.js';
import { createSampler } from './sampler.js';
import { generatedSecrets } from './secrets.js';
import { soakSettings, type SoakSettings } from './settings.js';
import type { SoakOptions, SoakReport, SoakSecrets } from './types.js';

export type { FamilyGrowth, Growth, SoakOptions, SoakReport, SoakSample, SoakSecrets } from './types.js';

/** What a run holds open, released whatever happens. */
interface Resources {
  dir: string;
  kafka: KafkaClient;
  redis: Redis;
  admin?: Admin;
  producer?: Producer;
  receiver?: ChannelReceiver;
  processes: VigilProcess[];
  /** Whether the run made its Redis ACL user (to remove at the end). */
  redisPassword: boolean;
}

/** Everything a started run measures with. */
interface Run {
  s: SoakSettings;
  o: SoakOptions;
  res: Resources;
  admin: Admin;
  receiver: ChannelReceiver;
  secrets: SoakSecrets;
  detector: VigilProcess;
  notifier: VigilProcess;
  logs: { detector: string; notifier: string };
  note: (line: string) => void;
}

/** Runs the soak; never throws for a failed bound (see `problems`), only when the stack cannot be used. */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const note = o.note ?? ((line: string) => process.stderr.write(`soak: ${line}\n`));
  const s = soakSettings(o);
  // The secrets the processes are given: none may reach a log line.
  const secrets: SoakSecrets = { ...generatedSecrets(), ...o.secrets };
  const res = await openResources(s);
  try {
    const admin = (res.admin = await res.kafka.admin());
    await admin.ensureTopics(Object.values(s.topics).map((topic) => ({ topic, partitions: s.partitions })));
    const serviceRedisUrl = await serviceRedisUser(res, s, secrets, note);
    // The known-threats store, for the known-bad-ip attack.
    await saveThreatsDocument(res.redis, s.run, parseThreatsDocument({ entries: attackThreats() }));
    const receiver = (res.receiver = await startChannelReceiver(secrets.webhookSecret));
    const escalationFile = writeEscalation(res.dir, secrets.webhookSecret);
    const logDir = o.logDir ?? res.dir;
    const { detector, notifier } = await startSoakProcesses({ s, o, secrets, serviceRedisUrl, escalationFile, receiverUrl: receiver.url, logDir, started: res.processes });
    const logs = { detector: logFileOf(logDir, 'detector', s.run), notifier: logFileOf(logDir, 'notifier', s.run) };
    note(`detector pid ${detector.pid}, notifier pid ${notifier.pid}; ${s.rate} events/s for ${s.minutes} min; prefix ${s.run} in db ${s.redisUrl.pathname.slice(1)}; logs in ${logDir}`);
    return await loadAndMeasure({ s, o, res, admin, receiver, secrets, detector, notifier, logs, note });
  } finally {
    await release(res, s, o);
  }
}

/** The load, the drain, both processes stopped, their logs read: the report. */
async function loadAndMeasure(run: Run): Promise<SoakReport> {
  const { s, o, res, detector, notifier, note } = run;
  const producer = (res.producer = await res.kafka.producer());
  const codec = createCodec(transactionContract, { topic: s.topics.transactions, registry: createSchemaRegistry({ url: s.registryUrl }) });
  const t0 = Date.now();
  const eventT0 = eventClockStart(t0, s.durationMs, s.timeScale, s.warmupSeconds * 1000);
  const mix = createMessageMix({ ...s, eventTime: (wall) => eventT0 + (wall - t0) * s.timeScale, firstAttackAt: t0 + s.attackEveryMs / 2, codec });
  const progress = { produced: 0 };
  const sampler = createSampler({
    detector,
    notifier,
    redis: res.redis,
    prefix: s.run,
    admin: run.admin,
    detectorGroup: s.groups.detector,
    transactionsTopic: s.topics.transactions,
    t0,
    produced: () => progress.produced,
    notifications: () => run.receiver.count(),
    note,
  });
  const processes = [
    { name: 'detector' as const, p: detector, log: run.logs.detector },
    { name: 'notifier' as const, p: notifier, log: run.logs.notifier },
  ];
  await produceLoad({ s, t0, producer, mix, progress, take: sampler.take, processes, signal: o.signal });
  const producingSeconds = (Date.now() - t0) / 1000;
  if (o.signal?.aborted) note(`stopped early after ${producingSeconds.toFixed(0)} s`);
  note(`produced ${progress.produced} events in ${producingSeconds.toFixed(0)} s; draining`);
  const { final, drainSeconds } = await drain(sampler.take, progress.produced);

  // Stop both processes, the notifier first (SIGTERM, SIGKILL after 30 s).
  const notifierExit = await notifier.stop(30_000);
  const exitCodes = { detector: await detector.stop(30_000), notifier: notifierExit };
  const logs = readProcessLogs(run.logs, run.secrets);
  return soakReport({
    s,
    produced: progress.produced,
    counts: mix.counts(),
    producingSeconds,
    samples: sampler.samples,
    final,
    drainSeconds,
    liveHeap: { detector: liveHeapOf(logs.text.detector, detector.spawnedAt, t0), notifier: liveHeapOf(logs.text.notifier, notifier.spawnedAt, t0) },
    receiver: { count: run.receiver.count(), byChannel: run.receiver.byChannel(), badSignatures: run.receiver.badSignatures() },
    logs: { ...run.logs, lines: logs.lines, errorLines: logs.errorLines, secretsFound: logs.secretsFound },
    exitCodes,
    redisPassword: res.redisPassword,
  });
}

async function openResources(s: SoakSettings): Promise<Resources> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-soak-'));
  const logger = createLogger({ service: 'soak', level: 'error' });
  const kafka = createKafkaClient({ brokers: s.brokers.split(','), clientId: 'vigil-soak' }, logger);
  const redis = createRedis({ url: s.redisUrl.toString(), connectionName: 'vigil-soak' }) as Redis;
  await connectRedis(redis);
  return { dir, kafka, redis, processes: [], redisPassword: false };
}

/** A Redis user of the run's own, so the processes' REDIS_URL carries a password (removed at the end); without ACLs, none. */
async function serviceRedisUser(res: Resources, s: SoakSettings, secrets: SoakSecrets, note: (line: string) => void): Promise<URL> {
  const url = new URL(s.redisUrl.toString());
  try {
    await res.redis.call('ACL', 'SETUSER', s.aclUser, 'reset', 'on', `>${secrets.redisPassword}`, '~*', '&*', '+@all');
  } catch (err) {
    note(`no Redis ACL user (${(err as Error).message}); the processes connect without a password`);
    return url;
  }
  url.username = s.aclUser;
  url.password = secrets.redisPassword;
  res.redisPassword = true;
  return url;
}

/** Stops and removes what the run started, its state too unless keepState; the cleanup goes on past a step that fails. */
async function release(res: Resources, s: SoakSettings, o: SoakOptions): Promise<void> {
  for (const p of res.processes) p.kill('SIGKILL');
  await Promise.all(res.processes.map((p) => Promise.race([p.exited, sleep(5000)])));
  await res.producer?.disconnect().catch(() => undefined);
  await res.receiver?.stop().catch(() => undefined);
  if (!o.keepState) {
    await res.admin?.deleteTopics(Object.values(s.topics)).catch(() => undefined);
    await deletePrefix(res.redis, s.run).catch(() => undefined);
  }
  await res.admin?.disconnect().catch(() => undefined);
  if (res.redisPassword) await res.redis.call('ACL', 'DELUSER', s.aclUser).catch(() => undefined);
  await closeRedis(res.redis);
  if (!o.keepLogs) rmSync(res.dir, { recursive: true, force: true });
  else rmSync(join(res.dir, 'webhook-secret'), { force: true });
}
