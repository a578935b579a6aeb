import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { detectorsConfigSchema, readInventory } from '@vigil/detectors';
import { createRandom } from '@vigil/simulator';
import { scanKeys } from '@vigil/redis';
import { detectorRig, metricValue, sample, type DetectorRig } from '../support/detector.js';
import { waitFor } from '../support/helpers.js';

/**
 * A cardinality attack: a million events in three minutes of event time,
 * each from a new random IP and principal to a new random path, through the
 * real Kafka into a detector on the real Redis. Redis memory under the
 * test's key prefix must stay under the bound docs/reliability.md documents
 * for it (the caps `maxRoutesPerApi` and `maxSubjectsPerApiHour`, defaults),
 * where without the caps it would hold a million subject checkpoints and a
 * million routes' counters.
 */
const EVENTS = 1_000_000;
/** The documented bound for this flood on one api with the default caps (docs/reliability.md). */
const BOUND_BYTES = 64 * 1024 * 1024;
/** Of which the API inventory's key families (docs/inventory.md). */
const INVENTORY_BOUND_BYTES = 8 * 1024 * 1024;
const INVENTORY_FAMILIES = ['inv', 'invm', 'iem', 'ieh', 'iec', 'ied', 'ihp', 'iha', 'ihc', 'ish'];

function* flood(count: number): Generator<ApiTransaction> {
  const random = createRandom(2026);
  const word = () => Math.floor(random.next() * 2 ** 40).toString(36).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!);
  const start = Date.UTC(2026, 10, 23, 10, 0, 0);
  for (let i = 0; i < count; i++) {
    const ip = `10.${Math.floor(random.next() * 256)}.${Math.floor(random.next() * 256)}.${Math.floor(random.next() * 256)}`;
    yield {
      id: `flood-${i}`,
      timestamp: start + Math.floor((i * 180_000) / count),
      direction: 'inbound',
      api: 'accounts',
      method: 'GET',
      path: `/${word()}/${word()}`,
      status: 404,
      latencyMs: 3,
      responseBytes: 120,
      clientIp: ip,
      principal: `user-${word()}`,
      userAgent: `agent-${word()}`,
    };
  }
}

async function prefixMemory(rig: DetectorRig): Promise<{ keys: number; bytes: number; byKind: Record<string, number> }> {
  let keys = 0;
  let bytes = 0;
  const byKind: Record<string, number> = {};
  await scanKeys(rig.redis, `${rig.prefix}:*`, async (batch) => {
    const p = rig.redis.pipeline();
    for (const k of batch) p.memory('USAGE', k, 'SAMPLES', '0');
    const sizes = ((await p.exec()) ?? []).map(([, v]) => Number(v ?? 0));
    batch.forEach((k, i) => {
      const kind = /\}:([a-z]+)/.exec(k)?.[1] ?? 'other';
      byKind[kind] = (byKind[kind] ?? 0) + sizes[i]!;
    });
    keys += batch.length;
    bytes += sizes.reduce((a, b) => a + b, 0);
  });
  return { keys, bytes, byKind };
}

describe('a cardinality attack', () => {
  let rig: DetectorRig;
  beforeAll(async () => {
    rig = await detectorRig();
  });
  afterAll(() => rig?.close());

  it('a million random IPs, principals and paths keep Redis under the documented bound', async () => {
    const config = detectorsConfigSchema.parse({});
    const { metrics } = await rig.start({});
    const codec = createCodec(transactionContract, { topic: rig.topics.transactions });
    let chunk: { key: string; value: Buffer }[] = [];
    const started = Date.now();
    for (const e of flood(EVENTS)) {
      chunk.push({ key: e.principal!, value: codec.encodeJson(e) });
      if (chunk.length === 10_000) {
        await rig.producer.send(rig.topics.transactions, chunk);
        chunk = [];
      }
    }
    await rig.producer.send(rig.topics.transactions, chunk);
    await waitFor(async () => metricValue(await metrics.metrics(), 'vigil_events_consumed_total') >= EVENTS, `all ${EVENTS} events consumed`, 240_000, 1000);
    const seconds = (Date.now() - started) / 1000;
    const text = await metrics.metrics();
    const memory = await prefixMemory(rig);
    const cappedRoutes = sample(text, 'vigil_state_capped_total', 'what="routes"');
    const cappedCheckpoints = sample(text, 'vigil_state_capped_total', 'what="checkpoints"');
    const inventoryBytes = INVENTORY_FAMILIES.reduce((n, k) => n + (memory.byKind[k] ?? 0), 0);
    const inventory = await readInventory(rig.redis, rig.prefix);
    console.log(`cardinality flood inventory: ${inventory.length} endpoints, ${(inventoryBytes / 1024 / 1024).toFixed(2)} MB, ${Math.round(inventoryBytes / inventory.length)} bytes an endpoint`);
    console.log(`cardinality flood: ${EVENTS} events in ${seconds.toFixed(0)} s; Redis under the prefix: ${memory.keys} keys, ${(memory.bytes / 1024 / 1024).toFixed(1)} MB ${JSON.stringify(Object.fromEntries(Object.entries(memory.byKind).map(([k, v]) => [k, Math.round(v / 1024)])))} KB; capped: ${cappedRoutes} events to {other}, ${cappedCheckpoints} checkpoints dropped`);

    // The caps engaged: past the first maxRoutesPerApi routes everything went to {other}, and
    // past maxSubjectsPerApiHour subjects an hour the checkpoints were dropped.
    expect(cappedRoutes).toBeGreaterThanOrEqual(EVENTS - config.maxRoutesPerApi);
    expect(cappedCheckpoints).toBeGreaterThanOrEqual(EVENTS - 2 * config.maxSubjectsPerApiHour);
    expect(memory.bytes).toBeLessThan(BOUND_BYTES);
    // The inventory lists the admitted routes and {other}, no more, and stays under its own bound.
    expect(inventory.length).toBeLessThanOrEqual(config.maxRoutesPerApi + 1);
    expect(inventory.find((e) => e.route === '{other}')?.calls).toBeGreaterThanOrEqual(EVENTS - config.maxRoutesPerApi);
    expect(inventoryBytes).toBeLessThan(INVENTORY_BOUND_BYTES);
    // Keys: per admitted route a handful (minute and hour counters, metadata, signatures, the inventory's day, hour and callers), plus the caps' own hashes.
    expect(memory.keys).toBeLessThan(10 * config.maxRoutesPerApi + 100);
    expect(metricValue(text, 'vigil_events_rejected_total')).toBe(0);
  }, 420_000);
});
