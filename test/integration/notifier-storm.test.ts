import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.js';
import { sample } from '../support/detector.js';
import { finding, notifierRig, type NotifierRig } from '../support/notifier.js';
import { startHttpSink, type HttpSink } from '../support/receivers.js';

const MIN = 60_000;
const LIMIT = 5;
const FINDINGS = 10_000;

interface Body {
  kind: string;
  count?: number;
}

describe('an alert storm through the notifier', () => {
  let rig: NotifierRig;
  let sink: HttpSink;
  let metrics: () => Promise<string>;

  beforeAll(async () => {
    // The sink stamps each request with the notifier's own (movable) wall clock.
    sink = await startHttpSink({ clock: () => Date.now() + (rig?.skew.ms ?? 0) });
    rig = await notifierRig({
      notify: { minSeverity: 'high' },
      wakeUp: { ackTimeoutMs: 0 },
      repeatIntervalMs: 0,
      resolveAfterMs: 24 * 60 * MIN,
      tiers: { notify: ['storm'] },
      rateLimitPerMinute: LIMIT,
      channels: { storm: { type: 'webhook', url: `${sink.url}/storm` } },
    });
    const started = await rig.start();
    metrics = () => started.metrics.metrics();
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
    await sink?.stop();
  });

  it(`${FINDINGS} findings in a burst give at most ${LIMIT} notifications a minute on the channel, the rest as digests, none lost`, async () => {
    const findings = Array.from({ length: FINDINGS }, (_, i) => finding({ severity: 'high', subject: { kind: 'principal', value: `storm-user-${i}` } }));
    for (let i = 0; i < findings.length; i += 1000) await rig.publish(findings.slice(i, i + 1000));
    const delivered = () => sink.received.reduce((n, r) => n + ((r.body as Body).count ?? 1), 0);
    await waitFor(async () => sample(await metrics(), 'vigil_notifier_findings_total', 'outcome="new_incident"') === FINDINGS, 'the notifier to take in the storm', 120_000, 500);
    // Each minute of the notifier's clock lets LIMIT messages through; move its clock a minute at a time once the current minute's budget is spent.
    await waitFor(
      async () => {
        if (delivered() >= FINDINGS) return true;
        const minute = Math.floor((Date.now() + rig.skew.ms) / MIN);
        if (sink.received.filter((r) => Math.floor(r.at / MIN) === minute).length >= LIMIT) rig.skew.ms += MIN;
        return false;
      },
      `all ${FINDINGS} notifications delivered alone or in digests`,
      180_000,
      500,
    );
    const perMinute = new Map<number, number>();
    for (const r of sink.received) perMinute.set(Math.floor(r.at / MIN), (perMinute.get(Math.floor(r.at / MIN)) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(LIMIT);
    const digests = sink.received.filter((r) => (r.body as Body).kind === 'digest');
    expect(digests.length).toBeGreaterThan(0);
    // A few messages instead of ten thousand: the first minute's budget, then digests of up to a claim (1,000) each.
    expect(sink.received.length).toBeLessThan(40);
    console.info(JSON.stringify({ storm: { findings: FINDINGS, messages: sink.received.length, digests: digests.length, minutes: perMinute.size, maxPerMinute: Math.max(...perMinute.values()) } }));
    // Every notification went out exactly once: alone, or counted in one digest.
    expect(delivered()).toBe(FINDINGS);
    const alone = sink.received.length - digests.length;
    // The receiver records a message before the notifier hears back and counts it: wait for the last acknowledgement.
    await waitFor(async () => (await rig.redis.zcard(`${rig.prefix}:{notifier}:due`)) === 0, 'the outbox to empty');
    const text = await waitFor(async () => {
      const t = await metrics();
      return sample(t, 'vigil_notifications_sent_total', 'channel="storm"') === sink.received.length ? t : undefined;
    }, 'the sent count to catch up');
    expect(sample(text, 'vigil_notifications_digested_total', 'channel="storm"')).toBe(FINDINGS - alone);
  }, 300_000);
});
