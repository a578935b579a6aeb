import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@vigil/state';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine, OVERFLOW_ROUTE } from './engine.js';
import { findingId } from './finding-id.js';
import { background, detect, tx, T0, MINUTE } from './testing.js';

function enumeration(offset = 0) {
  return Array.from({ length: 80 }, (_, i) => tx({ id: `en-${offset}-${i}`, timestamp: T0 + offset + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory', status: i % 2 ? 403 : 200 }));
}

describe('detection engine', () => {
  it('gives the same finding ids whatever the batch size', async () => {
    const events = [...background({ from: T0 - 30 * MINUTE, to: T0 + 5 * MINUTE, perMinute: 30 }), ...enumeration()];
    const ids = async (batchSize: number) => (await detect(events, { batchSize })).map((f) => f.id).sort();
    const a = await ids(1000);
    expect(a.length).toBeGreaterThan(0);
    expect(await ids(37)).toEqual(a);
    expect(await ids(5000)).toEqual(a);
  });

  it('gives the same findings from events enriched as they are decoded (processEnriched) as from process', async () => {
    const config = detectorsConfigSchema.parse({});
    const events = [...background({ from: T0 - 30 * MINUTE, to: T0 + 5 * MINUTE, perMinute: 30 }), ...enumeration()].sort((a, b) => a.timestamp - b.timestamp);
    const run = async (enrichFirst: boolean) => {
      const engine = new DetectionEngine({ config, store: new MemoryStateStore() });
      const out = [];
      for (let i = 0; i < events.length; i += 200) {
        const batch = events.slice(i, i + 200);
        const enriched = batch.map(engine.enrichEvent);
        const order = enriched.map((e) => e.id);
        const { findings } = enrichFirst ? await engine.processEnriched(enriched) : await engine.process(batch);
        // The caller's array keeps its order.
        expect(enriched.map((e) => e.id)).toEqual(order);
        out.push(...findings);
      }
      return out;
    };
    const a = await run(false);
    expect(a.some((f) => f.detector === 'bola_enumeration')).toBe(true);
    expect(await run(true)).toEqual(a);
  });

  it('emits a sustained anomaly once per window, and again in the next window', async () => {
    const twoWindows = [...enumeration(0), ...enumeration(2 * MINUTE)];
    const bola = (await detect(twoWindows, { batchSize: 20 })).filter((f) => f.detector === 'bola_enumeration');
    expect(bola).toHaveLength(2);
    expect(new Set(bola.map((f) => f.windowStart)).size).toBe(2);
  });

  it('does not publish an id again after markPublished, even from a new engine over the same state (restart)', async () => {
    const store = new MemoryStateStore();
    const config = detectorsConfigSchema.parse({});
    const events = enumeration();
    const first = new DetectionEngine({ config, store });
    const a = await first.process(events.slice(0, 50));
    expect(a.findings.map((f) => f.detector)).toContain('bola_enumeration');
    await first.markPublished(a.findings);
    const second = new DetectionEngine({ config, store });
    const b = await second.process(events.slice(50));
    expect(b.findings.filter((f) => f.detector === 'bola_enumeration')).toEqual([]);
    expect(b.duplicates).toBeGreaterThanOrEqual(1);
  });

  it('finding ids are deterministic and differ by detector, subject, route and window', () => {
    const base = { detector: 'burst' as const, subject: { kind: 'ip' as const, value: '1.2.3.4' }, api: 'a', route: '/x', windowStart: 0 };
    expect(findingId(base)).toBe(findingId({ ...base }));
    expect(findingId(base)).toMatch(/^burst-[A-Za-z0-9_-]{22}$/);
    for (const other of [{ detector: 'bot' as const }, { subject: { kind: 'ip' as const, value: '1.2.3.5' } }, { route: '/y' }, { windowStart: 60_000 }, { api: 'b' }]) {
      expect(findingId({ ...base, ...other })).not.toBe(findingId(base));
    }
  });

  it('switches a detector off through config.enabled', async () => {
    const findings = await detect(enumeration(), { config: { enabled: { bola_enumeration: false } } });
    expect(findings.filter((f) => f.detector === 'bola_enumeration')).toEqual([]);
  });

  it('holds every finding to the Finding v1 contract', async () => {
    const { validate, findingContract, toWireJson } = await import('@vigil/contracts');
    const findings = await detect([...background({ from: T0 - 60 * MINUTE, to: T0 + 5 * MINUTE, perMinute: 30 }), ...enumeration()]);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(validate(findingContract, toWireJson(findingContract, f))).toEqual(f);
  });

  describe('with partitions at different event times', () => {
    // Two partitions of one api, each 60 events a minute over the same ten minutes; the engine sees
    // partition A's batch first. A warm-up batch before them sets where api minutes start closing.
    const perMinute = (from: number, minutes: number, who: string) =>
      Array.from({ length: minutes * 60 }, (_, i) => tx({ id: `${who}-${from}-${i}`, timestamp: from + i * 1000, principal: `${who}-${i % 7}` }));
    const warmup = perMinute(T0 - 2 * MINUTE, 2, 'w');
    const a = perMinute(T0, 10, 'a');
    const b = perMinute(T0 + 200, 10, 'b');
    const lastClosed = (rates: { minute: number; observedPerMinute: number }[] | undefined) => rates?.at(-1);

    it('holds api minutes open while another partition has older events pending (holdAt), then closes them with both counted', async () => {
      const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store: new MemoryStateStore() });
      await engine.process(warmup);
      // B has events pending from T0: nothing after T0 closes on A's batch alone.
      const first = await engine.process(a, { holdAt: T0 + 200 });
      expect(first.apiRates ?? []).toEqual([]);
      const second = await engine.process(b);
      // The last minute that closes (watermark 10 min on, less 30 s of lateness, less the open minute) has both partitions' events.
      expect(lastClosed(second.apiRates)).toMatchObject({ minute: T0 + 8 * MINUTE, observedPerMinute: 120 });
    });

    it('without a hold, the partition ahead closes the minutes before the other is counted (what holdAt prevents)', async () => {
      const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store: new MemoryStateStore() });
      await engine.process(warmup);
      const first = await engine.process(a);
      expect(lastClosed(first.apiRates)).toMatchObject({ minute: T0 + 8 * MINUTE, observedPerMinute: 60 });
      const second = await engine.process(b);
      expect(lastClosed(second.apiRates)?.minute ?? 0).toBeLessThan(T0 + 8 * MINUTE);
    });

    it('never moves the window clock back, and never past the watermark', async () => {
      const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store: new MemoryStateStore() });
      await engine.process(warmup);
      await engine.process(a);
      // A hold older than what already closed changes nothing; a hold in the future is capped at the watermark.
      const late = await engine.process(b, { holdAt: T0 - 10 * MINUTE });
      expect(late.apiRates ?? []).toEqual([]);
      const ahead = await engine.process(perMinute(T0 + 10 * MINUTE, 1, 'c'), { holdAt: T0 + 60 * MINUTE });
      expect(lastClosed(ahead.apiRates)?.minute).toBe(T0 + 9 * MINUTE);
    });
  });

  describe('under a cardinality flood', () => {
    it('counts routes beyond maxRoutesPerApi together as {other}, and a known route keeps counting', async () => {
      const store = new MemoryStateStore();
      const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({ maxRoutesPerApi: 3 }), store });
      const known = Array.from({ length: 3 }, (_, i) => tx({ id: `k-${i}`, timestamp: T0 + i, path: `/static/page${'abc'[i]}`, principal: 'p' }));
      expect((await engine.process(known)).capped).toEqual({ routes: 0, checkpoints: 0 });
      const flood = Array.from({ length: 200 }, (_, i) => tx({ id: `f-${i}`, timestamp: T0 + 1000 + i, path: `/x/${'qwertyuiop'[i % 10]}${'asdfghjkl'[i % 9]}${'zxcvbnm'[i % 7]}word`, principal: `p${i}` }));
      const again = tx({ id: 'k-again', timestamp: T0 + 2000, path: '/static/pagea', principal: 'p' });
      const out = await engine.process([...flood, again]);
      expect(out.capped!.routes).toBe(200);
      const keysAfterFlood = store.size;
      // Another flood of new paths adds no route keys: they all count as one route.
      const more = Array.from({ length: 200 }, (_, i) => tx({ id: `g-${i}`, timestamp: T0 + 3000 + i, path: `/y/${i}zz${'qwertyuiop'[i % 10]}${'mnbvcx'[i % 6]}`, principal: `p${i}` }));
      expect((await engine.process(more)).capped!.routes).toBe(200);
      expect(store.size).toBe(keysAfterFlood);
      // A new engine (a restart, another replica) sees the same admitted routes.
      const other = new DetectionEngine({ config: detectorsConfigSchema.parse({ maxRoutesPerApi: 3 }), store });
      expect((await other.process([tx({ id: 'k-b', timestamp: T0 + 5000, path: '/static/pageb' }), tx({ id: 'n-1', timestamp: T0 + 5001, path: '/brand/new' })])).capped!.routes).toBe(1);
      expect(OVERFLOW_ROUTE).toBe('{other}');
    });

    it('keeps at most maxSubjectsPerApiHour subject checkpoints per api and hour, counting the rest as dropped', async () => {
      const store = new MemoryStateStore();
      const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({ maxSubjectsPerApiHour: 50 }), store });
      const ips = Array.from({ length: 300 }, (_, i) => tx({ id: `ip-${i}`, timestamp: T0 + i, principal: undefined, clientIp: `10.0.${i >> 8}.${i & 255}` }));
      const out = await engine.process(ips);
      expect(out.capped!.checkpoints).toBe(250);
      // The 50 kept are read back by a new engine; the rest start from nothing (and are not an error).
      const again = await new DetectionEngine({ config: detectorsConfigSchema.parse({ maxSubjectsPerApiHour: 50 }), store }).process(ips.map((e) => ({ ...e, id: `${e.id}-2`, timestamp: e.timestamp + 1000 })));
      expect(again.capped!.checkpoints).toBe(250);
    });
  });
});
