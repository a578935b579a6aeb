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
      // A batch the engine fails, it abandons itself; one whose findings could not be sent or marked, the caller abandons.
      const outcome = await engine.process(batch, { source }).catch(() => undefined);
      if (!outcome) continue;
      try {
        // Kafka refusing every other send of findings: nothing of the batch went out.
        if (o.failSends && outcome.findings.length > 0 && sends++ % 2 === 0) throw new Error('kafka did not acknowledge');
        published.push(...outcome.findings);
        await engine.markPublished(outcome.findings);
        break;
      } catch {
        engine.abandonBatch(outcome);
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

/**
 * The detector service runs two partitions' batches at once (consumer.partitionsConcurrently) on one engine. When
 * Redis goes while both are in flight, the one that fails must close its api minutes again however the other ends.
 */
describe('two partitions in flight at once, one batch failing', () => {
  const events = spikeTraffic();
  const warm = events.filter((e) => e.timestamp < T0 + 4 * HOUR);
  const rest = events.filter((e) => e.timestamp >= T0 + 4 * HOUR);
  const partitions = [rest.filter((_, i) => i % 2 === 0), rest.filter((_, i) => i % 2 === 1)];

  /**
   * The warm-up from one partition, then batches of both partitions two at a time, each held back to the other's
   * earliest event (as the service's pending event times do). The second batch of a pair arrives while the first
   * writes its counts; with `failAt`, that write fails once Redis would have dropped the connection.
   */
  async function consumeTwo(failAt?: number): Promise<Finding[]> {
    const memory = new MemoryStateStore();
    let pair: { writing: () => void; fail: boolean } | undefined;
    const store = Object.create(memory) as StateStore;
    store.apply = async (...args: Parameters<StateStore['apply']>) => {
      const p = pair;
      pair = undefined;
      p?.writing();
      if (p?.fail) {
        await new Promise((r) => setTimeout(r, 10));
        throw new Error('redis went away');
      }
      return memory.apply(...args);
    };
    const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store, detectors: [volumeAnomaly] });
    const published: Finding[] = [];
    const run = async (batch: readonly ApiTransaction[], key: string, offset: number, holdAt?: number) => {
      const outcome = await engine.process(batch, { holdAt, source: { key, offsets: batch.map((_, k) => offset + k) } });
      published.push(...outcome.findings);
      await engine.markPublished(outcome.findings);
    };
    for (let i = 0; i < warm.length; i += 250) await run(warm.slice(i, i + 250), 'api.transactions/0', i);
    const size = 100;
    for (let i = 0; i < partitions[0]!.length; i += size) {
      const [a, b] = partitions.map((p) => p.slice(i, i + size)) as [ApiTransaction[], ApiTransaction[]];
      const writing = new Promise<void>((resolve) => (pair = { writing: resolve, fail: i === failAt }));
      const first = run(a, 'p/1', i, b[0]?.timestamp);
      const second = b.length > 0 ? writing.then(() => run(b, 'p/2', i, a[0]!.timestamp)) : Promise.resolve();
      const [firstEnded] = await Promise.allSettled([first, second]);
      pair = undefined;
      // The failed batch is fetched again, the other partition having moved on.
      if (firstEnded.status === 'rejected') await run(a, 'p/1', i);
    }
    return published;
  }

  it('finds the same windows as when no batch fails, whichever batch of the spike fails', async () => {
    const reference = windowsOf(await consumeTwo());
    expect(reference).toContainEqual(expect.stringMatching(`^volume_anomaly api:accounts ${new Date(T0 + 4 * HOUR + 5 * MINUTE).toISOString()}`));
    const spikeAt = partitions[0]!.findIndex((e) => e.timestamp >= T0 + 4 * HOUR + 5 * MINUTE);
    for (let at = Math.floor(spikeAt / 100) * 100; at <= spikeAt + 300; at += 100) {
      expect(windowsOf(await consumeTwo(at)), `batch at ${at} failed`).toEqual(reference);
    }
  });
});

