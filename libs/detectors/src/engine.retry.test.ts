import type { ApiTransaction, Finding } from '@vigil/contracts';
import { MemoryStateStore, type StateStore } from '@vigil/state';
import { describe, expect, it } from 'vitest';
import { detectorsConfigSchema } from './config.js';
import { volumeAnomaly } from './detectors/volume-anomaly/index.js';
import { DetectionEngine } from './engine.js';
import { HOUR, MINUTE, T0, background, latest } from './testing.js';

/**
 * A batch that fails part way (Redis gone between reading and writing, or
 * after the findings went out but before they were recorded) is fetched
 * again, from the same offsets. The api minutes it closed must close again
 * on the retry: judged once, but never skipped.
 */

/** Four quiet hours of `accounts`, then a spike of 400 calls in one minute, then quiet again. */
function spikeTraffic(): ApiTransaction[] {
  const quiet = background({ from: T0, to: T0 + 4 * HOUR + 20 * MINUTE, perMinute: 20, api: 'accounts', seed: 7 });
  const at = T0 + 4 * HOUR + 5 * MINUTE;
  const spike = background({ from: at, to: at + MINUTE, perMinute: 400, api: 'accounts', seed: 8 });
  return [...quiet, ...spike].sort((a, b) => a.timestamp - b.timestamp);
}

/** A store whose `method` fails on every other call: Redis going away at unlucky moments. */
function failingStore(method: 'apply' | 'claimed' | 'claim', after = 1, every = 2): StateStore & { failures: number } {
  const store = new MemoryStateStore();
  let calls = 0;
  const wrapped = Object.create(store) as StateStore & { failures: number };
  wrapped.failures = 0;
  const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
  (wrapped as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    calls++;
    if (calls >= after && (calls - after) % every === 0) {
      wrapped.failures++;
      throw new Error(`redis went away (${method} call ${calls})`);
    }
    return original(...args);
  };
  return wrapped;
}

/** Runs the events in batches from one partition, as the detector service does: a failed batch is processed again from the same offsets. */
async function consume(events: readonly ApiTransaction[], store: StateStore, o: { failSends?: boolean } = {}): Promise<Finding[]> {
  const batchSize = 250;
  let sends = 0;
  const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store, detectors: [volumeAnomaly] });
  const published: Finding[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    const source = { key: 'api.transactions/0', offsets: batch.map((_, k) => i + k) };
    for (let attempt = 0; ; attempt++) {
      expect(attempt, 'retries of one batch').toBeLessThan(5);
      try {
        const { findings } = await engine.process(batch, { source });
        // Kafka refusing every other send of findings: nothing of the batch went out.
        if (o.failSends && findings.length > 0 && sends++ % 2 === 0) throw new Error('kafka did not acknowledge');
        published.push(...findings);
        await engine.markPublished(findings);
        break;
      } catch {
        engine.abandonBatch();
      }
    }
  }
  return published;
}

const windowsOf = (findings: readonly Finding[]) => latest(findings).map((f) => `${f.detector} ${f.subject.kind}:${f.subject.value} ${new Date(f.windowStart).toISOString()} ${f.severity}`);

describe('a batch processed again after it failed', () => {
  const events = spikeTraffic();
  let reference: Promise<string[]> | undefined;
  const expected = () => (reference ??= consume(events, new MemoryStateStore()).then(windowsOf));

  it('the reference run finds the spike', async () => {
    expect(await expected()).toContainEqual(expect.stringMatching(`^volume_anomaly api:accounts ${new Date(T0 + 4 * HOUR + 5 * MINUTE).toISOString()}`));
  });

  for (const method of ['apply', 'claimed', 'claim'] as const) {
    it(`closes the api minutes again when ${method} fails: the same findings as without failures`, async () => {
      const store = failingStore(method);
      const got = windowsOf(await consume(events, store));
      expect(store.failures).toBeGreaterThan(0);
      expect(got).toEqual(await expected());
    });
  }

  it('closes the api minutes again when the findings could not be sent: the same findings as without failures', async () => {
    expect(windowsOf(await consume(events, new MemoryStateStore(), { failSends: true }))).toEqual(await expected());
  });
});
