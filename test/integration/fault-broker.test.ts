import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { expectNothingLost, faultFigures } from '../support/fault-checks.js';
import { startFaultRig, type FaultRig } from '../support/fault-rig.js';
import { playFault } from '../support/fault-run.js';
import { faultTraffic, referenceFindings } from '../support/fault-traffic.js';
import { stackEnv } from '../support/helpers.js';
import { startThrowawayKafka, type ThrowawayKafka } from '../support/throwaway-kafka.js';

/**
 * The only Kafka broker is stopped (SIGTERM, a clean shutdown) for 20 s while
 * traffic with attacks and malformed messages keeps coming, then started
 * again on the same data. `vigil detector` and `vigil notifier` run as
 * processes throughout. Afterwards every input message is accounted for, no
 * finding of the fault-free reference is missing, replayed findings are
 * absorbed by the notifier, and each notification arrived exactly once.
 * Timings named …S are seconds from the broker answering again (outageS:
 * from the stop to answering again: the 20 s, the shutdown and the start).
 */
describe('a Kafka broker stopped for 20 s mid-stream', () => {
  const traffic = faultTraffic();
  let kafka: ThrowawayKafka | undefined;
  let rig: FaultRig | undefined;
  let reference: Finding[];

  beforeAll(async () => {
    [kafka, reference] = await Promise.all([startThrowawayKafka(), referenceFindings(traffic)]);
    rig = await startFaultRig({ brokers: kafka.brokers, redisUrl: stackEnv().REDIS_URL, traffic });
  }, 90_000);

  afterAll(async () => {
    await rig?.close();
    await kafka?.stop();
  }, 60_000);

  it('loses no event, no finding and no notification, and sends none twice', async () => {
    const { outcome, exits, timings } = await playFault(rig!, traffic, {
      stop: () => kafka!.stopBroker('SIGTERM'),
      start: () => kafka!.startBroker(),
      outageMs: 20_000,
      when: () => (rig!.timeline.at(-1)?.consumed ?? 0) >= 2000,
      what: 'the detector to be mid-stream',
    });
    console.log(`fault broker: ${JSON.stringify({ ...faultFigures(outcome, traffic, reference), ...timings })}`);
    expectNothingLost(outcome, traffic, reference);
    // No consumer gave up retrying its connection during the outage (it would come back as a new group member and wait out
    // the old one's 30 s session). kafkajs still gives up at once with "No broker available" when the only broker drops a
    // fetch in flight (the idle notifier, usually): that one costs the session timeout, hence the bound on resuming.
    for (const p of [rig!.detector, rig!.notifier]) {
      const crashes = p.logs().filter((l) => l.msg === 'consumer crashed').map((l) => (l.err as { type?: string }).type);
      expect(crashes.filter((t) => t !== 'KafkaJSNoBrokerAvailableError')).toEqual([]);
    }
    expect(timings.detectorResumedS).toBeLessThan(45);
    expect(exits).toEqual({ detector: 0, notifier: 0 });
    for (const p of [rig!.detector, rig!.notifier]) expect(p.logs().filter((l) => l.level === 'fatal').map((l) => l.msg)).toEqual([]);
  }, 180_000);
});
