import { describe, expect, it } from 'vitest';
import { emptyShard, MemoryStateStore, type PrepareRequest, type StatePlan, type StateStore } from '@vigil/state';
import type { ApiTransaction, Finding } from '@vigil/contracts';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine, type BatchSource } from './engine.js';
import { background, tx, T0, HOUR, MINUTE } from './testing.js';

const config = detectorsConfigSchema.parse({});
const SIZE = 50;

/** A principal reading 80 accounts in 80 s, among background traffic. */
function traffic(): ApiTransaction[] {
  const attack = Array.from({ length: 80 }, (_, i) => tx({ id: `en-${i}`, timestamp: T0 + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory', status: i % 2 ? 403 : 200 }));
  return [...background({ from: T0 - 20 * MINUTE, to: T0 + 3 * MINUTE, perMinute: 20 }), ...attack].sort((a, b) => a.timestamp - b.timestamp);
}

/** Counts the subject checkpoints each apply writes; `failAt` makes that apply (1-based) throw once, `failClaimedAt` that read of published ids. */
class WatchedStore extends MemoryStateStore {
  checkpointWrites = 0;
  calls = 0;
  private claimedCalls = 0;
  claimedFailed = false;
  constructor(
    private readonly failAt?: number,
    private readonly failClaimedAt?: number,
  ) {
    super();
  }
  override async claimed(ids: readonly string[]) {
    if (++this.claimedCalls === this.failClaimedAt) {
      this.claimedFailed = true;
      throw new Error('store unavailable');
    }
    return super.claimed(ids);
  }
  /** Fails the next batch write (one with counters) that carries mallory's checkpoint. */
  failMalloryWrite = false;
  override async apply(request: StatePlan) {
    this.calls++;
    if (this.calls === this.failAt) throw new Error('store unavailable');
    if (this.failMalloryWrite && request.shards.some((s) => s.incr.length > 0 && s.texts.some((t) => t.fields.some(([f]) => f === 'principal:mallory')))) {
      this.failMalloryWrite = false;
      throw new Error('store unavailable');
    }
    for (const shard of request.shards) for (const t of shard.texts) if (t.key[0] === 'sc') this.checkpointWrites += t.fields.length;
    return super.apply(request);
  }
}

/** A batch boundary with part of the attack on each side: batches are the same as in one run. */
function splitAt(events: readonly ApiTransaction[]): number {
  const split = Math.ceil(events.findIndex((e) => e.id === 'en-10') / SIZE) * SIZE;
  expect(events.slice(0, split).filter((e) => e.principal === 'mallory').length).toBeGreaterThanOrEqual(10);
  expect(events.slice(split).filter((e) => e.principal === 'mallory').length).toBeGreaterThanOrEqual(10);
  return split;
}

/** Mallory's checkpoint as stored under the hour of `at` (event time), or null. */
async function malloryCheckpoint(store: MemoryStateStore, at: number): Promise<string | null> {
  const read = await store.prepare({ threats: false, texts: [{ tag: 'accounts', key: ['sc', Math.floor(at / 3_600_000)], fields: ['principal:mallory'] }] });
  return read.texts[0]![0] ?? null;
}

/** Mallory's calls that her stored checkpoint holds (the sum of its hour counts), under the hour of `at`. */
async function malloryCalls(store: MemoryStateStore, at: number): Promise<number> {
  const text = await malloryCheckpoint(store, at);
  return text ? (JSON.parse(text) as { h: [number, number, number, number][] }).h.reduce((sum, row) => sum + row[2], 0) : 0;
}

/** The calls the shared counters of the accounts api hold (its inbound hours), over the hours of `events`. */
async function sharedCalls(store: MemoryStateStore, events: readonly ApiTransaction[]): Promise<number> {
  const ops = emptyShard('accounts');
  for (const h of new Set(events.map((e) => Math.floor(e.timestamp / HOUR)))) ops.reads.push(['ah', 'i', h]);
  const [result] = await store.apply({ now: events.at(-1)!.timestamp, shards: [ops] });
  return result!.reads.reduce((sum, hour) => sum + (hour.n ?? 0), 0);
}

const brief = (findings: readonly Finding[]) => findings.map((f) => ({ id: f.id, severity: f.severity, evidence: f.evidence })).sort((a, b) => a.id.localeCompare(b.id));

/** Processes `events` in batches of `size`; with `source`, from partition 0, the first event at offset `firstOffset` (0). */
async function run(engine: DetectionEngine, events: readonly ApiTransaction[], size: number, options: { source?: boolean; retry?: boolean; firstOffset?: number } = {}): Promise<Finding[]> {
  const out: Finding[] = [];
  for (let at = 0; at < events.length; at += size) {
    const batch = events.slice(at, at + size);
    const first = (options.firstOffset ?? 0) + at;
    const source: BatchSource | undefined = options.source ? { key: 'transactions/0', offsets: batch.map((_, i) => first + i) } : undefined;
    for (;;) {
      try {
        const { findings } = await engine.process(batch, { source });
        await engine.markPublished(findings);
        out.push(...findings);
        break;
      } catch (err) {
        if (!options.retry) throw err;
      }
    }
  }
  return out;
}

describe('deferred subject checkpoints', () => {
  it('are written by checkpoint() only, and a new engine over the same store reads back what the first counted', async () => {
    const events = traffic();
    const reference = await run(new DetectionEngine({ config, store: new MemoryStateStore() }), events, SIZE);
    expect(reference.some((f) => f.detector === 'bola_enumeration')).toBe(true);

    const split = splitAt(events);
    const store = new WatchedStore();
    const first = new DetectionEngine({ config, store, checkpoints: 'deferred' });
    const before = await run(first, events.slice(0, split), SIZE);
    expect(store.checkpointWrites).toBe(0);
    expect(first.uncheckpointed).toBeGreaterThan(0);
    const written = await first.checkpoint();
    expect(written.subjects).toBe(store.checkpointWrites);
    expect(first.uncheckpointed).toBe(0);
    expect((await first.checkpoint()).subjects).toBe(0);

    // A restart at the checkpoint: the second engine holds no subject and reads mallory's first 40 reads back.
    const second = new DetectionEngine({ config, store, checkpoints: 'deferred' });
    const after = await run(second, events.slice(split), SIZE);
    expect(brief([...before, ...after])).toEqual(brief(reference));
  });

  it('taken while the next batch runs, hold each subject as it was at the call (what the offsets committed after it say)', async () => {
    const events = traffic();
    const split = splitAt(events);
    const mallory = (store: MemoryStateStore) => malloryCheckpoint(store, events.slice(0, split).filter((e) => e.principal === 'mallory').at(-1)!.timestamp);
    // What a checkpoint after the first part alone holds.
    const alone = new WatchedStore();
    const reference = new DetectionEngine({ config, store: alone, checkpoints: 'deferred' });
    await run(reference, events.slice(0, split), SIZE);
    await reference.checkpoint();
    expect(await mallory(alone)).toEqual(expect.any(String));

    const store = new WatchedStore();
    // One subject a slice: the checkpoint yields to the event loop after each subject it serialises.
    const engine = new DetectionEngine({ config, store, checkpoints: 'deferred', checkpointSlice: 1 });
    await run(engine, events.slice(0, split), SIZE);
    let settled = false;
    const pending = engine.checkpoint().then((written) => {
      settled = true;
      return written;
    });
    // The next batch (38 more of mallory's reads) runs while the checkpoint is being serialised.
    expect(events.slice(split, split + SIZE).filter((e) => e.principal === 'mallory').length).toBeGreaterThan(10);
    await engine.process(events.slice(split, split + SIZE));
    expect(settled).toBe(false);
    const written = await pending;
    expect(written.subjects).toBe(store.checkpointWrites);
    expect(await mallory(store)).toEqual(await mallory(alone));
    // The batch's changes wait for the next checkpoint.
    expect(engine.uncheckpointed).toBeGreaterThan(0);
    expect((await engine.checkpoint()).subjects).toBeGreaterThan(0);
    expect(await mallory(store)).not.toEqual(await mallory(alone));
  });

  /** Mallory's batch and one of other clients that pushes her out of a 5-subject cache, run at once while a checkpoint is being serialised. */
  async function pushedOutDuringCheckpoint(store: WatchedStore) {
    const events = traffic();
    const split = splitAt(events);
    const isMallory = (e: ApiTransaction) => e.principal === 'mallory';
    const withMallory = events.slice(split, split + SIZE);
    // Other clients only (the background after the attack): with room for 5 subjects, they push mallory out.
    const others = events.slice(-30);
    expect(withMallory.filter(isMallory).length).toBeGreaterThan(10);
    expect(others.some(isMallory)).toBe(false);
    const engine = new DetectionEngine({ config, store, checkpoints: 'deferred', checkpointSlice: 10, cacheLimit: 5 });
    await run(engine, events.slice(0, split), SIZE);
    const checkpoint = engine.checkpoint();
    const batches = await Promise.allSettled([engine.process(withMallory), engine.process(others)]);
    /** Her calls that the stored checkpoint holds (the hour counts' sum). */
    const stored = async () => {
      const text = await malloryCheckpoint(store, withMallory.filter(isMallory).at(-1)!.timestamp);
      return text ? (JSON.parse(text) as { h: [number, number, number, number][] }).h.reduce((sum, row) => sum + row[2], 0) : 0;
    };
    return { engine, checkpoint, batches, stored, counted: [...events.slice(0, split), ...withMallory].filter(isMallory).length };
  }

  it('taken while another batch pushes a changed subject out of the cache, do not write its older state after the newer one', async () => {
    const { engine, checkpoint, batches, stored, counted } = await pushedOutDuringCheckpoint(new WatchedStore());
    expect(batches.every((b) => b.status === 'fulfilled')).toBe(true);
    await checkpoint;
    await engine.checkpoint();
    expect(await stored()).toBe(counted);
  });

  it('fail when the batch write that carries a subject they left out fails: nothing is committed past it', async () => {
    const store = new WatchedStore();
    store.failMalloryWrite = true;
    const { engine, checkpoint, batches, stored, counted } = await pushedOutDuringCheckpoint(store);
    expect(batches.filter((b) => b.status === 'rejected')).toHaveLength(1);
    await expect(checkpoint).rejects.toThrow('store unavailable');
    expect(store.failMalloryWrite).toBe(false);
    // She is still to be written, as she is: the next checkpoint does.
    expect(engine.uncheckpointed).toBeGreaterThan(0);
    await engine.checkpoint();
    expect(await stored()).toBe(counted);
  });

  it('move a subject to the hour of its latest call and delete its copy under the old hour, even when a write failed in between', async () => {
    const reads = (from: number) => Array.from({ length: 5 }, (_, i) => tx({ timestamp: from + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory' }));
    // Applies: 1 the first batch, 2 the first checkpoint, 3 the second batch, 4 the second checkpoint (fails), 5 the third.
    const store = new WatchedStore(4);
    const engine = new DetectionEngine({ config, store, checkpoints: 'deferred' });
    await engine.process(reads(T0 + 10 * MINUTE));
    await engine.checkpoint();
    expect(await malloryCheckpoint(store, T0)).toEqual(expect.any(String));
    // An hour later: her checkpoint is filed under the next hour.
    await engine.process(reads(T0 + HOUR + 10 * MINUTE));
    await expect(engine.checkpoint()).rejects.toThrow('store unavailable');
    expect((await engine.checkpoint()).subjects).toBe(1);
    expect(await malloryCheckpoint(store, T0 + HOUR)).toEqual(expect.any(String));
    expect(await malloryCheckpoint(store, T0)).toBeNull();
  });

  it('without a checkpoint, a new engine does not see the first one’s subjects (what the checkpoint carries)', async () => {
    const events = traffic();
    const split = splitAt(events);
    const store = new WatchedStore();
    await run(new DetectionEngine({ config, store, checkpoints: 'deferred' }), events.slice(0, split), SIZE);
    const after = await run(new DetectionEngine({ config, store, checkpoints: 'deferred' }), events.slice(split), SIZE);
    const bola = after.filter((f) => f.detector === 'bola_enumeration');
    const reference = (await run(new DetectionEngine({ config, store: new MemoryStateStore() }), events, SIZE)).filter((f) => f.detector === 'bola_enumeration');
    expect(brief(bola)).not.toEqual(brief(reference));
  });

  it('keep subject state through a failed batch, and the batch fetched again is not counted twice', async () => {
    const events = traffic();
    const reference = brief(await run(new DetectionEngine({ config, store: new MemoryStateStore() }), events, SIZE));
    // The store fails the apply of the batch with the attack's start: after the batch counted its subjects, before anything was published.
    const failAt = Math.floor(events.findIndex((e) => e.id === 'en-0') / SIZE) + 1;
    const retried = brief(await run(new DetectionEngine({ config, store: new WatchedStore(failAt), checkpoints: 'deferred' }), events, SIZE, { source: true, retry: true }));
    expect(retried).toEqual(reference);
    // Without its offsets the engine cannot tell: the retry counts the batch's events again.
    const blind = brief(await run(new DetectionEngine({ config, store: new WatchedStore(failAt), checkpoints: 'deferred' }), events, SIZE, { retry: true }));
    expect(blind).not.toEqual(reference);
  });

  it('hold the offsets their subjects are counted up to: a restart that replays from an older commit does not count them twice', async () => {
    const events = traffic();
    const split = splitAt(events);
    const isMallory = (e: ApiTransaction) => e.principal === 'mallory';
    const lastCall = events.filter(isMallory).at(-1)!.timestamp;
    const replay = async (blind: boolean) => {
      const store = new WatchedStore();
      const first = new DetectionEngine({ config, store, checkpoints: 'deferred' });
      // The checkpoint holds the batch after `split`, but the commit that followed it is older (the batch was in
      // flight, or the commit failed, or mallory was pushed out of the cache and written with a later batch).
      await run(first, events.slice(0, split + SIZE), SIZE, { source: !blind });
      await first.checkpoint();
      const second = new DetectionEngine({ config, store, checkpoints: 'deferred' });
      await run(second, events.slice(split), SIZE, { source: !blind, firstOffset: split });
      await second.checkpoint();
      return { mallory: await malloryCalls(store, lastCall), shared: await sharedCalls(store, events) };
    };
    const calls = events.filter(isMallory).length;
    expect(events.slice(split, split + SIZE).filter(isMallory).length).toBeGreaterThan(10);
    // The route and api counters in the shared store too: their fence is written with them.
    expect(await replay(false)).toEqual({ mallory: calls, shared: events.length });
    // Without offsets, the replayed batch's calls are counted again.
    expect(await replay(true)).toEqual({ mallory: calls + events.slice(split, split + SIZE).filter(isMallory).length, shared: events.length + SIZE });
  });

  it('do not count a batch in the shared counters twice when it fails after writing them and is fetched again', async () => {
    const events = traffic();
    const reference = brief(await run(new DetectionEngine({ config, store: new MemoryStateStore() }), events, SIZE));
    // The first batch with findings writes its counters, then fails reading which of its finding ids were published.
    const retried = async (source: boolean) => {
      const store = new WatchedStore(undefined, 1);
      const findings = brief(await run(new DetectionEngine({ config, store, checkpoints: 'deferred' }), events, SIZE, { source, retry: true }));
      expect(store.claimedFailed).toBe(true);
      return { findings, shared: await sharedCalls(store, events) };
    };
    expect(await retried(true)).toEqual({ findings: reference, shared: events.length });
    // Without offsets, the batch fetched again adds its events to the counters a second time.
    expect((await retried(false)).shared).toBe(events.length + SIZE);
  });

  it('count a batch processed in slices (sliceMs) once when a later slice fails and the batch is fetched again', async () => {
    const events = traffic();
    const lastCall = events.filter((e) => e.principal === 'mallory').at(-1)!.timestamp;
    // The whole of the traffic (23 minutes) in one batch, as a consumer catching up would fetch it: a slice a minute.
    const whole = async (store: WatchedStore, source: boolean) => {
      const engine = new DetectionEngine({ config, store, checkpoints: 'deferred', sliceMs: MINUTE });
      const from: BatchSource | undefined = source ? { key: 'transactions/0', offsets: events.map((_, i) => i) } : undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          const { findings } = await engine.process(events, { source: from });
          await engine.markPublished(findings);
          await engine.checkpoint();
          return { findings: brief(findings), attempts: attempt + 1, shared: await sharedCalls(store, events), mallory: await malloryCalls(store, lastCall) };
        } catch (err) {
          if (attempt > 0) throw err;
        }
      }
    };
    const reference = await whole(new WatchedStore(), true);
    expect(reference.findings.length).toBeGreaterThan(0);
    expect(reference.shared).toBe(events.length);
    // The fifth slice's write fails: the four before it have counted their events, and the batch is fetched again.
    const store = new WatchedStore(5);
    const retried = await whole(store, true);
    expect(retried.attempts).toBe(2);
    expect(store.calls).toBeGreaterThan(20);
    expect(retried).toEqual({ ...reference, attempts: 2 });
    // Without offsets, the slices written before the failure are counted again.
    expect((await whole(new WatchedStore(5), false)).shared).toBeGreaterThan(events.length);
  });

  it('do not count a batch in the shared counters twice when two members process its partition at once (a rebalance one has not noticed)', async () => {
    const events = traffic().slice(0, 4 * SIZE);
    const source: BatchSource = { key: 'transactions/0', offsets: events.map((_, i) => i) };
    const shared = new MemoryStateStore();
    /** The member that still holds the partition: its write waits until `release`. */
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const late: StateStore = {
      roundTrips: 0,
      prepare: (request: PrepareRequest) => shared.prepare(request),
      apply: async (plan: StatePlan) => {
        await held;
        return shared.apply(plan);
      },
      claimed: (ids) => shared.claimed(ids),
      claim: (claims, ttlMs, now) => shared.claim(claims, ttlMs, now),
    };
    const stale = new DetectionEngine({ config, store: late, checkpoints: 'deferred' });
    const owner = new DetectionEngine({ config, store: shared, checkpoints: 'deferred' });
    // Both read the fence before either writes; the new owner writes first.
    const first = stale.process(events, { source });
    await owner.process(events, { source });
    release();
    await expect(first).rejects.toMatchObject({ code: 'VIGIL_STATE_FENCE_MOVED', retriable: true });
    expect(await sharedCalls(shared, events)).toBe(events.length);
    // Fetched again, it finds the new fence: the events are counted once.
    await stale.process(events, { source });
    expect(await sharedCalls(shared, events)).toBe(events.length);
  });

  it('ignore and replace an offset past the partition\'s high watermark (the topic was created again)', async () => {
    const reads = (from: number, n: number) => Array.from({ length: n }, (_, i) => tx({ timestamp: from + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory' }));
    const old = reads(T0, 5);
    const fresh = reads(T0 + 10 * MINUTE, 10);
    const run = async (highWatermarks: boolean) => {
      const store = new WatchedStore();
      const before = new DetectionEngine({ config, store, checkpoints: 'deferred' });
      // The topic's earlier life: mallory's calls at offsets 1000-1004.
      await before.process(old, { source: { key: 'transactions/0', offsets: old.map((_, i) => 1000 + i), highWatermark: highWatermarks ? 1005 : undefined } });
      await before.checkpoint();
      const after = new DetectionEngine({ config, store, checkpoints: 'deferred' });
      // Created again: offsets start from 0.
      for (const at of [0, 5]) {
        const batch = fresh.slice(at, at + 5);
        await after.process(batch, { source: { key: 'transactions/0', offsets: batch.map((_, i) => at + i), highWatermark: highWatermarks ? at + 5 : undefined } });
      }
      await after.checkpoint();
      return { mallory: await malloryCalls(store, fresh.at(-1)!.timestamp), shared: await sharedCalls(store, [...old, ...fresh]) };
    };
    expect(await run(true)).toEqual({ mallory: 15, shared: 15 });
    // Without the high watermark, the old offset hides the new topic's first 1005 messages (from subject state and shared counters alike).
    expect(await run(false)).toEqual({ mallory: 5, shared: 5 });
  });

  it('write a changed subject the cache pushes out with the next batch, and hold it again from memory', async () => {
    const events = traffic();
    const reference = brief(await run(new DetectionEngine({ config, store: new MemoryStateStore() }), events, SIZE));
    const store = new WatchedStore();
    // Room for 5 subjects: the background's clients push mallory out between her batches.
    const engine = new DetectionEngine({ config, store, checkpoints: 'deferred', cacheLimit: 5 });
    const found = brief(await run(engine, events, SIZE));
    expect(store.checkpointWrites).toBeGreaterThan(0);
    expect(found).toEqual(reference);
  });
});
