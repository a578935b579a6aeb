import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { expectNothingLost, faultFigures } from '../support/fault-checks.js';
import { startFaultRig, type FaultRig } from '../support/fault-rig.js';
import { playFault } from '../support/fault-run.js';
import { faultTraffic, referenceFindings } from '../support/fault-traffic.js';
import { stackEnv } from '../support/helpers.js';
import { startThrowawayRedis, type ThrowawayRedis } from '../support/throwaway-redis.js';

/**
 * The services' Redis (persisting as an operator's would: AOF every second,
 * a snapshot on shutdown) is stopped with SIGTERM for 10 s while traffic with
 * attacks and malformed messages keeps coming, then started again on the
 * same port and data. `vigil detector` and `vigil notifier` run as processes
 * throughout, on the shared Kafka. Afterwards every input message is
 * accounted for, no finding of the fault-free reference is missing,
 * replayed findings are absorbed, and each notification arrived exactly
 * once. Timings named …S are seconds from Redis answering again (outageS:
 * from the stop to answering again).
 */
describe('Redis restarted mid-stream', () => {
  const traffic = faultTraffic();
  let redis: ThrowawayRedis | undefined;
  let rig: FaultRig | undefined;
  let reference: Finding[];
  /** Keys in the throwaway Redis, but for the group's window clock: a transient hash its detector empties (and Redis deletes) whenever it catches up. */
  const dbsize = () =>
    spawnSync('redis-cli', ['-p', String(redis!.port), '--scan'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .stdout.split('\n')
      .filter((k) => k !== '' && !k.includes(':{clock}:')).length;

  beforeAll(async () => {
    [redis, reference] = await Promise.all([startThrowawayRedis(), referenceFindings(traffic)]);
    rig = await startFaultRig({ brokers: stackEnv().KAFKA_BROKERS.split(',')[0]!, redisUrl: redis.url, traffic, sinkDelayMs: 500 });
  }, 90_000);

  afterAll(async () => {
    await rig?.close();
    await redis?.stop();
  }, 60_000);

  it('loses no event, no finding and no notification, and sends none twice', async () => {
    const keys = { beforeStop: 0, afterStart: 0 };
    const { outcome, exits, timings } = await playFault(rig!, traffic, {
      async stop() {
        keys.beforeStop = dbsize();
        await redis!.stopServer('SIGTERM');
      },
      async start() {
        await redis!.startServer();
        keys.afterStart = dbsize();
      },
      outageMs: 10_000,
      // The first notification has reached the webhook, whose reply is held 500 ms: Redis goes while the notifier has sent it but not yet recorded it.
      when: () => rig!.sink.received.length >= 1,
      what: 'the first notification',
    });
    const recordRetried = rig!.notifier.logs().filter((l) => l.msg === 'delivered, but recording it failed; retrying so it is not sent twice').length;
    console.log(`fault redis: ${JSON.stringify({ ...faultFigures(outcome, traffic, reference), ...timings, keys, recordRetried })}`);
    // What the services had written came back with the restart (state, claims, incidents, outbox, threats).
    expect(keys.beforeStop).toBeGreaterThan(100);
    expect(keys.afterStart).toBeGreaterThanOrEqual(keys.beforeStop);
    // The fault hit between a webhook answering and the notifier recording it (the window where a notification could go out twice).
    expect(recordRetried).toBeGreaterThan(0);
    expectNothingLost(outcome, traffic, reference);
    expect(timings.sentDuringOutage, 'traffic kept coming during the outage').toBeGreaterThan(0);
    expect(timings.detectorResumedS).toBeLessThan(15);
    expect(exits).toEqual({ detector: 0, notifier: 0 });
    for (const p of [rig!.detector, rig!.notifier]) expect(p.logs().filter((l) => l.level === 'fatal').map((l) => l.msg)).toEqual([]);
  }, 180_000);
});
