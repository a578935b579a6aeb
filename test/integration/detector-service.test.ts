import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, createSchemaRegistry, dlqHeaders, transactionContract, type ApiTransaction } from '@vigil/contracts';
import type { Producer } from '@vigil/kafka';
import { scanKeys } from '@vigil/redis';
import { background, tx } from '../../libs/detectors/src/testing.js';
import { detectorRig, metricValue, type DetectorRig } from '../support/detector.js';
import { stackEnv, waitFor } from '../support/helpers.js';

const MINUTE = 60_000;
const T = Date.UTC(2026, 10, 23, 9, 0, 0);

/** Normal traffic for 20 minutes, and one principal enumerating 80 account ids in 2 minutes from minute 10. */
function trafficWithEnumeration(): { events: ApiTransaction[]; attacker: string } {
  const events = background({ from: T, to: T + 20 * MINUTE, perMinute: 40, route: '/accounts/{id}', users: 150, seed: 11 });
  const attacker = 'mallory';
  for (let i = 0; i < 80; i++) {
    events.push(
      tx({
        id: `attack-${i}`,
        timestamp: T + 10 * MINUTE + i * 1400,
        path: `/users/${5000 + i}/account`,
        route: '/users/{id}/account',
        principal: attacker,
        clientIp: '192.0.2.66',
        status: i % 3 === 0 ? 200 : 403,
      }),
    );
  }
  events.sort((a, b) => a.timestamp - b.timestamp);
  return { events, attacker };
}

async function publish(producer: Producer, topic: string, events: ApiTransaction[], avroEvery = 3): Promise<void> {
  const registry = createSchemaRegistry({ url: stackEnv().SCHEMA_REGISTRY_URL });
  const codec = createCodec(transactionContract, { registry, topic });
  for (let i = 0; i < events.length; i += 250) {
    const chunk = events.slice(i, i + 250);
    await producer.send(
      topic,
      await Promise.all(chunk.map(async (e, j) => ({ key: e.principal ?? e.clientIp ?? e.api, value: await codec.encode(e, (i + j) % avroEvery === 0 ? 'avro' : 'json') }))),
    );
  }
}

describe('detector service on the real Kafka and Redis', () => {
  let rig: DetectorRig;
  beforeAll(async () => {
    rig = await detectorRig();
  });
  afterAll(() => rig?.close());

  it('an enumeration mixed into normal traffic comes out on the findings topic; bad messages land in the DLQ with a reason', async () => {
    const { events, attacker } = trafficWithEnumeration();
    const findings = await rig.collect(rig.topics.findings);
    const dlq = await rig.collect(rig.topics.dlq);
    const { metrics } = await rig.start();

    await publish(rig.producer, rig.topics.transactions, events);
    await rig.producer.send(rig.topics.transactions, [
      { key: 'bad-1', value: JSON.stringify({ ...JSON.parse(createCodec(transactionContract, { topic: 't' }).encodeJson(events[0]!).toString()), status: 'OK' }) },
      { key: 'bad-2', value: 'not json at all' },
      { key: 'bad-3', value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]) },
    ]);

    const bola = await waitFor(
      () => rig.findingsOf(findings.messages).find((f) => f.detector === 'bola_enumeration'),
      'a bola_enumeration finding on the findings topic',
      60_000,
    );
    expect(bola.subject).toEqual({ kind: 'principal', value: attacker });
    expect(bola.route).toBe('/users/{id}/account');
    expect(bola.owasp).toBe('API1:2023');
    expect(Number(bola.evidence.distinctIds)).toBeGreaterThanOrEqual(30);
    expect(findings.messages.find((m) => JSON.parse(m.value!.toString()).id === bola.id)?.key?.toString()).toBe(bola.id);

    await waitFor(() => dlq.messages.length >= 3, 'three dead letters', 30_000);
    const reasons = Object.fromEntries(dlq.messages.map((m) => [m.key!.toString(), m.headers[dlqHeaders.error]]));
    expect(reasons).toEqual({ 'bad-1': 'VIGIL_VALIDATION', 'bad-2': 'VIGIL_DECODE_UNKNOWN_FORMAT', 'bad-3': 'VIGIL_DECODE_SCHEMA_UNKNOWN' });
    const bad1 = dlq.messages.find((m) => m.key!.toString() === 'bad-1')!;
    expect(bad1.headers[dlqHeaders.detail]).toBe('status: expected an integer');
    expect(bad1.value!.toString()).toContain('"status":"OK"');

    // Dashboards plot an api's observed rate against its baseline (20 minutes of traffic: the baseline still warms up).
    const rates = await metrics.metrics();
    expect(/^vigil_api_observed_events_per_minute\{[^}]*api="accounts"[^}]*direction="inbound"[^}]*\} \d+/m.test(rates)).toBe(true);
    expect(dlq.messages.find((m) => m.key!.toString() === 'bad-2')!.value!.toString()).toBe('not json at all');

    // Every event is accounted for: processed plus dead-lettered equals produced.
    const consumed = await waitFor(async () => {
      const text = await metrics.metrics();
      const n = metricValue(text, 'vigil_events_consumed_total');
      return n === events.length + 3 ? n : undefined;
    }, 'all events consumed', 30_000);
    expect(consumed).toBe(events.length + 3);
    const text = await metrics.metrics();
    expect(text).toMatch(/vigil_events_rejected_total\{reason="VIGIL_VALIDATION"[^}]*\} 1/);
    expect(text).toMatch(/vigil_findings_total\{detector="bola_enumeration",severity="[a-z]+"[^}]*\} 1/);
    expect(metricValue(text, 'vigil_redis_round_trips_total')).toBeGreaterThan(0);
  });
});

describe('detector restarted mid-stream', () => {
  let rig: DetectorRig;
  beforeAll(async () => {
    rig = await detectorRig();
  });
  afterAll(() => rig?.close());

  it('loses no event and emits no new finding id for windows already reported', async () => {
    const { events } = trafficWithEnumeration();
    // Split inside the attack's window: the first half reports the enumeration, the second half continues it.
    const split = events.findIndex((e) => e.id === 'attack-60');
    const first = events.slice(0, split);
    const second = events.slice(split);
    const findings = await rig.collect(rig.topics.findings);

    const one = await rig.start();
    await publish(rig.producer, rig.topics.transactions, first);
    await waitFor(async () => {
      const lag = await rig.admin.lag(rig.groupId, rig.topics.transactions);
      return lag.reduce((n, p) => n + Number(p.high), 0) === first.length && lag.every((p) => p.lag === 0);
    }, 'the first half committed', 60_000);
    const before = rig.findingsOf(findings.messages).filter((f) => f.detector === 'bola_enumeration');
    expect(before).toHaveLength(1);
    await one.service.stop();

    const two = await rig.start();
    await publish(rig.producer, rig.topics.transactions, second);
    await waitFor(async () => {
      const lag = await rig.admin.lag(rig.groupId, rig.topics.transactions);
      return lag.every((p) => p.lag === 0) && lag.reduce((n, p) => n + Number(p.high), 0) === events.length;
    }, 'the second half committed', 60_000);

    const consumedBy = async (r: typeof one) => metricValue(await r.metrics.metrics(), 'vigil_events_consumed_total');
    expect((await consumedBy(one)) + (await consumedBy(two))).toBeGreaterThanOrEqual(events.length);
    // Findings are published before offsets commit: once the collector has read the whole findings topic, all are in.
    await waitFor(async () => {
      const ends = await rig.admin.lag(rig.groupId, rig.topics.findings);
      return findings.messages.length === ends.reduce((n, p) => n + Number(p.high), 0);
    }, 'the whole findings topic read', 30_000);
    // Every id once, the enumeration once: after the restart its window may only grow (an update naming it), never be reported anew.
    const ids = rig.findingsOf(findings.messages).map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const bola = rig.findingsOf(findings.messages).filter((f) => f.detector === 'bola_enumeration');
    expect(bola.filter((f) => f.evidence.updates === undefined).map((f) => f.id)).toEqual(before.map((f) => f.id));
    for (const update of bola.filter((f) => f.evidence.updates !== undefined)) {
      expect(update.evidence.updates).toBe(before[0]!.id);
      expect(Number(update.evidence.distinctIds)).toBeGreaterThanOrEqual(Number(before[0]!.evidence.distinctIds));
    }
    // The restarted detector knew the window: each time it judged it again it either held it back (the same as published) or published it grown, as an update.
    const text = await two.metrics.metrics();
    const updates = [...text.matchAll(/^vigil_finding_updates_total\{detector="bola_enumeration"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(updates).toBe(bola.length - 1);
    expect(metricValue(text, 'vigil_findings_suppressed_total') + updates).toBeGreaterThanOrEqual(1);
  });
});

describe('detector checkpoints and commits', () => {
  let rig: DetectorRig;
  beforeAll(async () => {
    rig = await detectorRig();
  });
  afterAll(() => rig?.close());

  it('commits offsets only once a checkpoint holds their subjects, and writes both when it stops', async () => {
    const { events, attacker } = trafficWithEnumeration();
    const first = events.slice(0, events.findIndex((e) => e.id === 'attack-20'));
    const checkpointKeys = () => scanKeys(rig.redis, `${rig.prefix}:*:sc:*`);

    // A minute between checkpoints: the whole first part is processed before the first one.
    const { service, metrics } = await rig.start({}, { checkpointIntervalMs: 60_000 });
    await publish(rig.producer, rig.topics.transactions, first);
    await waitFor(async () => metricValue(await metrics.metrics(), 'vigil_events_consumed_total') === first.length, 'the first part consumed', 60_000);
    const lagBefore = await rig.admin.lag(rig.groupId, rig.topics.transactions);
    expect(lagBefore.reduce((n, p) => n + p.lag, 0)).toBe(first.length);
    expect(await checkpointKeys()).toEqual([]);
    expect(service.engine.uncheckpointed).toBeGreaterThan(0);

    // A graceful stop writes the last checkpoint, then commits the end of every partition.
    await service.stop();
    const lagAfter = await rig.admin.lag(rig.groupId, rig.topics.transactions);
    expect(lagAfter.every((p) => p.lag === 0)).toBe(true);
    const keys = await checkpointKeys();
    expect(keys.length).toBeGreaterThan(0);
    const rows = (await Promise.all(keys.map((k) => rig.redis.hget(k, `principal:${attacker}`)))).filter((v): v is string => v !== null);
    expect(rows).toHaveLength(1);
    // Its trail on the enumerated route: ids and their times, flat (subject-state.ts).
    const trails = (JSON.parse(rows[0]!) as { t: [string, [(string | number)[]]][] }).t;
    const ids = trails.flatMap(([, [flat]]) => flat.filter((v): v is string => typeof v === 'string'));
    expect(ids.sort()).toEqual(Array.from({ length: 20 }, (_, i) => String(5000 + i)).sort());
    expect(Number(/^vigil_checkpoints_total\{[^}]*outcome="ok"[^}]*\} (\d+)/m.exec(await metrics.metrics())?.[1])).toBeGreaterThanOrEqual(1);
  });
});
