import { describe, expect, it } from 'vitest';
import type { ApiTransaction, Finding } from '@vigil/contracts';
import { MemoryStateStore, type StatePlan } from '@vigil/state';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine, MAX_SLICES, OVERFLOW_ROUTE, sliceBounds } from './engine.js';
import { findingId } from './finding-id.js';
import { background, detect, latest, tx, T0, HOUR, MINUTE } from './testing.js';

function enumeration(offset = 0) {
  return Array.from({ length: 80 }, (_, i) => tx({ id: `en-${offset}-${i}`, timestamp: T0 + offset + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory', status: i % 2 ? 403 : 200 }));
}

describe('detection engine', () => {
  it('gives the same finding ids whatever the batch size (revisions, which depend on where batches fall, update them)', async () => {
    const events = [...background({ from: T0 - 30 * MINUTE, to: T0 + 5 * MINUTE, perMinute: 30 }), ...enumeration()];
    const ids = async (batchSize: number) => latest(await detect(events, { batchSize })).map((f) => f.evidence.updates ?? f.id).sort();
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

  it('gives a sustained anomaly one finding, extended while it lasts, and a new one after a quiet hour', async () => {
    const sustained = [...enumeration(0), ...enumeration(2 * MINUTE)];
    const bola = (await detect(sustained, { batchSize: 20 })).filter((f) => f.detector === 'bola_enumeration');
    const [f, ...rest] = latest(bola);
    expect(rest).toEqual([]);
    expect(f!.windowStart).toBe(T0);
    expect(bola.slice(1).every((u) => u.evidence.updates === bola[0]!.id)).toBe(true);
    const apart = [...enumeration(0), ...enumeration(2 * HOUR)];
    const twice = latest((await detect(apart, { batchSize: 20 })).filter((x) => x.detector === 'bola_enumeration'));
    expect(twice.map((x) => x.windowStart)).toEqual([T0, T0 + 2 * HOUR]);
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
    // The window's id is not published again: only an update of it, when it grew.
    const published = a.findings.find((f) => f.detector === 'bola_enumeration')!;
    expect(b.findings.filter((f) => f.detector === 'bola_enumeration' && f.evidence.updates !== published.id)).toEqual([]);
    expect(b.duplicates + b.findings.length).toBeGreaterThanOrEqual(1);
  });

  it('finding ids are deterministic and differ by detector, subject, route and window', () => {
    const base = { detector: 'burst' as const, subject: { kind: 'ip' as const, value: '1.2.3.4' }, api: 'a', route: '/x', windowStart: 0 };
    expect(findingId(base)).toBe(findingId({ ...base }));
    expect(findingId(base)).toMatch(/^burst-[A-Za-z0-9_-]{22}$/);
    for (const other of [{ detector: 'bot' as const }, { subject: { kind: 'ip' as const, value: '1.2.3.5' } }, { route: '/y' }, { windowStart: 5 * 60_000 }, { api: 'b' }]) {
      expect(findingId({ ...base, ...other })).not.toBe(findingId(base));
    }
    // An address's calls come from many partitions (login attempts keyed by the principals they name): its episode is
    // anchored on the 5-minute bucket of its start, whichever of its windows a replica saw cross first.
    expect(findingId({ ...base, windowStart: 40_000 })).toBe(findingId({ ...base, windowStart: 90_000 }));
    const principal = { ...base, subject: { kind: 'principal' as const, value: 'alice' } };
    expect(findingId({ ...principal, windowStart: 40_000 })).not.toBe(findingId({ ...principal, windowStart: 90_000 }));
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

    it('closes no api minute in a slice (sliceMs) that the slices after it still count', async () => {
      const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store: new MemoryStateStore(), sliceMs: MINUTE });
      await engine.process(warmup);
      await engine.process(a, { holdAt: T0 + 200 });
      // B's ten minutes in one batch, counted a minute at a time, with A's watermark ten minutes on: each slice
      // closes only the minutes its later slices have no events of, so every minute closes with both partitions'.
      const second = await engine.process(b);
      const ofAB = second.apiRates!.filter((r) => r.minute >= T0);
      expect(ofAB.length).toBeGreaterThan(5);
      expect(ofAB.map((r) => r.observedPerMinute)).toEqual(ofAB.map(() => 120));
      expect(lastClosed(second.apiRates)).toMatchObject({ minute: T0 + 8 * MINUTE, observedPerMinute: 120 });
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

  describe('with a batch spanning more event time than sliceMs (a backlog)', () => {
    const config = detectorsConfigSchema.parse({});
    const AT = T0 + 2 * HOUR;
    /** Two warm-up hours of a route, then its responses 10x for 10 minutes from AT, then normal again until AT + 45 min. */
    const events = background({ from: T0, to: AT + 45 * MINUTE, perMinute: 20, seed: 31, shape: (e) => (e.timestamp >= AT && e.timestamp < AT + 10 * MINUTE ? { ...e, responseBytes: e.responseBytes! * 10 } : e) }).sort(
      (a, b) => a.timestamp - b.timestamp,
    );
    const backlogFrom = events.findIndex((e) => e.timestamp >= AT - 5 * MINUTE);

    class CountingStore extends MemoryStateStore {
      writes = 0;
      override async apply(request: StatePlan) {
        this.writes++;
        return super.apply(request);
      }
    }
    /** Live batches of 60 events (3 minutes) up to `backlogFrom`; from there, the rest in one batch. */
    async function run(sliceMs: number | undefined, backlog: boolean): Promise<{ findings: Finding[]; applies: number }> {
      const store = new CountingStore();
      const engine = new DetectionEngine({ config, store, sliceMs });
      const findings: Finding[] = [];
      const batches: ApiTransaction[][] = [];
      const until = backlog ? backlogFrom : events.length;
      for (let i = 0; i < until; i += 60) batches.push(events.slice(i, Math.min(i + 60, until)));
      if (backlog) batches.push(events.slice(backlogFrom));
      let applies = 0;
      for (const batch of batches) {
        store.writes = 0;
        const out = await engine.process(batch);
        applies = store.writes;
        await engine.markPublished(out.findings);
        findings.push(...out.findings);
      }
      return { findings: findings.filter((f) => f.detector === 'response_size'), applies };
    }

    it('judges its route windows slice by slice, as live batches would, instead of once at its end', async () => {
      const live = await run(undefined, false);
      expect(live.findings.map((f) => f.windowStart)).toEqual([AT]);
      // One batch from AT - 5 min to AT + 45 min: judged at its end only, the 10x minutes are out of the window by then.
      const once = await run(undefined, true);
      expect(once.findings).toEqual([]);
      const sliced = await run(60_000, true);
      expect(sliced.findings.map((f) => f.id)).toEqual(live.findings.map((f) => f.id));
      // 50 minutes of event time: more than MAX_SLICES minutes, so MAX_SLICES slices of ~94 s, each with the state writes of a batch.
      expect(sliced.applies).toBe(MAX_SLICES * once.applies);
    });

    it('counts a sliced batch once: the same counts and findings as the batch in slices of its own', async () => {
      const sliced = await run(60_000, true);
      const store = new MemoryStateStore();
      const engine = new DetectionEngine({ config, store });
      const findings: Finding[] = [];
      const rest = events.slice(backlogFrom);
      const cuts = sliceBounds(rest, 60_000, MAX_SLICES)!;
      const batches: ApiTransaction[][] = [];
      for (let i = 0; i < backlogFrom; i += 60) batches.push(events.slice(i, Math.min(i + 60, backlogFrom)));
      for (let i = 0; i < cuts.length - 1; i++) batches.push(rest.slice(cuts[i], cuts[i + 1]));
      for (const batch of batches) {
        const out = await engine.process(batch);
        await engine.markPublished(out.findings);
        findings.push(...out.findings);
      }
      expect(sliced.findings).toEqual(findings.filter((f) => f.detector === 'response_size'));
    });

    it('judges the windows it passes even when another partition is ahead of it (at its own event time, not the watermark)', async () => {
      // Two partitions by principal; only the even users' responses grow, in partition 0. Partition 1 catches up first.
      const part = (e: ApiTransaction) => Number(e.principal!.slice(5)) % 2;
      const grown = (e: ApiTransaction) => e.timestamp >= AT && e.timestamp < AT + 10 * MINUTE && part(e) === 0;
      const traffic = background({ from: T0, to: AT + 45 * MINUTE, perMinute: 20, seed: 31, shape: (e) => (grown(e) ? { ...e, responseBytes: e.responseBytes! * 10 } : e) }).sort(
        (a, b) => a.timestamp - b.timestamp,
      );
      const from = traffic.findIndex((e) => e.timestamp >= AT - 5 * MINUTE);
      const engine = new DetectionEngine({ config, store: new MemoryStateStore(), sliceMs: 60_000 });
      const findings: Finding[] = [];
      const batches: ApiTransaction[][] = [];
      for (let i = 0; i < from; i += 60) batches.push(traffic.slice(i, Math.min(i + 60, from)));
      const backlog = traffic.slice(from);
      batches.push(backlog.filter((e) => part(e) === 1), backlog.filter((e) => part(e) === 0));
      for (const batch of batches) {
        const out = await engine.process(batch);
        await engine.markPublished(out.findings);
        findings.push(...out.findings);
      }
      const sizes = findings.filter((f) => f.detector === 'response_size');
      expect(sizes.map((f) => f.windowStart)).toEqual([AT]);
      expect(sizes[0]!.evidence.ratio).toBeGreaterThan(3);
    });

    it('is cut into at most MAX_SLICES slices, whatever its span', async () => {
      // Ten hours of one call a minute in one batch.
      const sparse = Array.from({ length: 600 }, (_, i) => tx({ id: `sp-${i}`, timestamp: T0 + i * MINUTE }));
      const applies = async (sliceMs: number | undefined) => {
        const store = new CountingStore();
        const out = await new DetectionEngine({ config, store, sliceMs }).process(sparse);
        expect(out.events).toBe(600);
        return store.writes;
      };
      const once = await applies(undefined);
      expect(once).toBeGreaterThan(0);
      expect(await applies(60_000)).toBe(MAX_SLICES * once);
    });

    it('cuts where the latest event time passes the slice start by sliceMs; late events never cut', () => {
      const at = (...ts: number[]) => ts.map((t) => ({ timestamp: T0 + t }));
      expect(sliceBounds(at(0, 10, 59_999), 60_000, 32)).toBeUndefined();
      expect(sliceBounds(at(0, 30_000, 60_000, 70_000, 120_000), 60_000, 32)).toEqual([0, 2, 4, 5]);
      // An event from long before (a late one) neither cuts nor moves the slice's start.
      expect(sliceBounds(at(0, 30_000, -600_000, 50_000, 61_000), 60_000, 32)).toEqual([0, 4, 5]);
      // Four minutes in at most 3 slices: 80 s each.
      expect(sliceBounds(at(0, 60_000, 120_000, 180_000, 240_000), 60_000, 3)).toEqual([0, 2, 4, 5]);
    });
  });
});
