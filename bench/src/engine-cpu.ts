/**
 * Diagnostic, not a target: decode and run the engine over pre-encoded
 * benchmark events in 10,000-event batches of 6 partitions' worth, against
 * Redis, without Kafka; prints CPU µs, JS heap bytes allocated and GC pause
 * µs per event (allocation does not move with the host's load: compare it
 * between changes). BENCH_DECODE_ONLY=1 decodes and stops. For profiling
 * (node --cpu-prof bench/dist/engine-cpu.js). Subject checkpoints are
 * written as the detector service writes them: every 5 s (BENCH_CHECKPOINT_MS)
 * and at the end; BENCH_CHECKPOINT_MS=0 writes them with every batch.
 */
import { createCodec, transactionContract } from '@vigil/contracts';
import { DetectionEngine, defaultDetectorsConfig, type EnrichedEvent } from '@vigil/detectors';
import { DecodeError } from '@vigil/errors';
import { closeRedis, connectRedis, createRedis, deletePrefix } from '@vigil/redis';
import { benchTraffic } from '@vigil/simulator';
import { RedisStateStore } from '@vigil/state';
import { measureGc, perEvent } from './gc-figures.js';

const env = process.env;
const N = Number(env.BENCH_EVENTS ?? 300_000);
const BATCH = Number(env.BENCH_BATCH ?? 10_000);
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:16379';

async function main(): Promise<void> {
  const codec = createCodec(transactionContract, { topic: 'x' });
  // Six partitions by key, as the topic would hold them; each consumed in order in batches.
  const partitions: Buffer[][] = Array.from({ length: 6 }, () => []);
  for (const e of benchTraffic(N)) {
    const key = e.principal ?? e.clientIp ?? e.clientId ?? e.api;
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
    partitions[Math.abs(h) % 6]!.push(codec.encodeJson(e));
  }
  const batches: Buffer[][] = [];
  for (let at = 0; partitions.some((p) => p.length > at); at += BATCH) for (const p of partitions) if (p.length > at) batches.push(p.slice(at, at + BATCH));
  const redis = createRedis({ url: redisUrl });
  await connectRedis(redis);
  const prefix = `cpu-${Date.now().toString(36)}`;
  const store = new RedisStateStore({ redis, prefix });
  const checkpointMs = Number(env.BENCH_CHECKPOINT_MS ?? 5000);
  const engine = new DetectionEngine({ config: defaultDetectorsConfig, store, checkpoints: checkpointMs > 0 ? 'deferred' : 'batch' });
  let checkpointAt = Date.now() + checkpointMs;
  const t = Date.now();
  const cpu = process.cpuUsage();
  const gc = measureGc();
  let findings = 0;
  const decodeOnly = env.BENCH_DECODE_ONLY === '1';
  for (const batch of batches) {
    if (decodeOnly) {
      findings += (await codec.decodeAll(batch)).length;
      continue;
    }
    // As the detector service does: each event enriched as it is decoded.
    const events = (await codec.decodeAll(batch, engine.enrichEvent)).filter((e): e is EnrichedEvent => !(e instanceof DecodeError));
    const out = await engine.processEnriched(events);
    await engine.markPublished(out.findings);
    findings += out.findings.length;
    if (checkpointMs > 0 && Date.now() >= checkpointAt) {
      await engine.checkpoint();
      checkpointAt = Date.now() + checkpointMs;
    }
  }
  if (checkpointMs > 0) await engine.checkpoint();
  const used = process.cpuUsage(cpu);
  const gcFigures = perEvent(gc.stop(), N);
  process.stdout.write(`${JSON.stringify({ events: N, cpuUsPerEvent: Math.round(((used.user + used.system) / N) * 10) / 10, userUs: Math.round(used.user / N * 10) / 10, wallUsPerEvent: Math.round(((Date.now() - t) * 1000) / N * 10) / 10, ...gcFigures, findings, roundTrips: store.roundTrips })}\n`);
  await deletePrefix(redis, prefix);
  await closeRedis(redis);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
