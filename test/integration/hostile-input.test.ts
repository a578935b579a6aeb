import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, createSchemaRegistry, dlqHeaders, toWireJson, transactionContract } from '@vigil/contracts';
import { tx } from '../../libs/detectors/src/testing.js';
import { detectorRig, metricValue, type DetectorRig } from '../support/detector.js';
import { stackEnv, waitFor } from '../support/helpers.js';

/**
 * Hostile messages through the real Kafka into a running detector: each one
 * is processed or dead-lettered with a reason, the partition never stalls,
 * and the process keeps going (a valid event sent last still comes through).
 */
describe('the detector service under hostile input', () => {
  let rig: DetectorRig;
  beforeAll(async () => {
    // The input topic takes 12 MB messages; the dead-letter topic keeps the broker's default (1 MB).
    rig = await detectorRig({ transactionsTopicConfig: { 'max.message.bytes': String(12 * 1024 * 1024) } });
  });
  afterAll(() => rig?.close());

  it('random bytes, truncated Avro, unknown schema ids, a 10 MB message, deep nesting and odd Unicode: processed or dead-lettered, never stalled', async () => {
    const codec = createCodec(transactionContract, { registry: createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL }), topic: rig.topics.transactions });
    const good = tx({ id: 'hostile-good-0', timestamp: Date.UTC(2026, 10, 23, 9) });
    const avro = await codec.encode(good, 'avro');
    const unknownId = Buffer.from(avro);
    unknownId.writeUInt32BE(987_654, 1);
    const random = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), { seed: 42, numRuns: 60 }).map((b) => Buffer.from(b));
    const odd = fc.sample(fc.string({ unit: 'binary', maxLength: 300 }), { seed: 7, numRuns: 40 }).map((s, i) => Buffer.from(JSON.stringify({ ...toWireJson(transactionContract, good), id: `odd-${i}`, path: `/${s}`, userAgent: s })));
    const hostile: Buffer[] = [
      ...random,
      ...Array.from({ length: 20 }, (_, i) => avro.subarray(0, 1 + ((i * 7) % (avro.length - 1)))),
      unknownId,
      Buffer.alloc(10 * 1024 * 1024, 0x7b),
      Buffer.from('['.repeat(50_000) + ']'.repeat(50_000)),
      Buffer.from(JSON.stringify({ ...toWireJson(transactionContract, good), id: 'deep', tags: JSON.parse('{"a":'.repeat(300) + '1' + '}'.repeat(300)) })),
      ...odd,
    ];
    const dlq = await rig.collect(rig.topics.dlq);
    const { metrics } = await rig.start();
    for (const value of hostile) await rig.producer.send(rig.topics.transactions, [{ key: 'hostile', value }]);
    const last = tx({ id: 'hostile-good-last', timestamp: Date.UTC(2026, 10, 23, 9, 1) });
    await rig.producer.send(rig.topics.transactions, [{ key: 'hostile', value: JSON.stringify(toWireJson(transactionContract, last)) }]);
    const total = hostile.length + 1;

    await waitFor(async () => metricValue(await metrics.metrics(), 'vigil_events_consumed_total') >= total, `all ${total} messages consumed`, 60_000);
    const lag = await waitFor(async () => {
      const l = await rig.admin.lag(rig.groupId, rig.topics.transactions);
      return l.every((p) => p.lag === 0) ? l : undefined;
    }, 'the partition to be committed past every message');
    expect(lag.length).toBe(3);
    const text = await metrics.metrics();
    const rejected = [...text.matchAll(/^vigil_events_rejected_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    // Everything is accounted for: valid ones processed, the rest dead-lettered with a reason.
    await waitFor(() => dlq.messages.length === rejected, 'every rejected message on the dead-letter topic', 30_000);
    expect(rejected).toBeGreaterThanOrEqual(hostile.length - odd.length);
    for (const m of dlq.messages) {
      expect(m.headers[dlqHeaders.error]?.toString()).toMatch(/^VIGIL_/);
      expect(m.headers[dlqHeaders.detail]?.toString().length).toBeGreaterThan(0);
    }
    // The 10 MB message does not fit the dead-letter topic: it is dead-lettered without its body, saying so.
    const tooLarge = dlq.messages.find((m) => m.headers[dlqHeaders.error]?.toString() === 'VIGIL_DECODE_TOO_LARGE');
    expect(tooLarge?.headers['vigil-original-bytes']?.toString()).toBe(String(10 * 1024 * 1024));
    expect(tooLarge?.value?.length ?? 0).toBeLessThan(1024 * 1024);
    await dlq.stop();
  }, 180_000);
});
