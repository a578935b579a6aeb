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
