import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@vigil/state';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine } from './engine.js';
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
});
