import { describe, expect, it } from 'vitest';
import type { ApiTransaction, Finding } from '@vigil/contracts';
import { MemoryStateStore } from '@vigil/state';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine } from './engine.js';
import { findingId } from './finding-id.js';
import { tx, T0 } from './testing.js';
import { parseEscalationConfig } from '../../notifier-core/src/config.js';
import { applyFinding, type IncidentState, type Notification } from '../../notifier-core/src/incident.js';

/** A principal walks /users/{id}/account through 80 sequential ids in 80 s; every fourth read is served. */
const walk: ApiTransaction[] = Array.from({ length: 80 }, (_, i) =>
  tx({ id: `w-${i}`, timestamp: T0 + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory', status: i % 4 === 3 ? 200 : 403 }),
);
const config = detectorsConfigSchema.parse({});

async function run(batches: ApiTransaction[][], store = new MemoryStateStore(), sliceMs?: number): Promise<Finding[]> {
  const engine = new DetectionEngine({ config, store, sliceMs });
  const out: Finding[] = [];
  for (const batch of batches) {
    const { findings } = await engine.process(batch);
    await engine.markPublished(findings);
    out.push(...findings);
  }
  return out.filter((f) => f.detector === 'bola_enumeration');
}

const inBatchesOf = (n: number) => Array.from({ length: Math.ceil(walk.length / n) }, (_, i) => walk.slice(i * n, (i + 1) * n));

describe('a window that judges worse after it was published', () => {
  it('is published once more, raised, under <id>-<severity>; replays publish nothing', async () => {
    const store = new MemoryStateStore();
    // Batches of 10 (10 s): high at 30 ids (8 served), critical once 20 reads were served (80 ids).
    const live = await run(inBatchesOf(10), store);
    // Revised (<id>-r<k>) each time its distinct ids grew by a quarter, at the severity first published.
    expect(live.map((f) => [f.id.slice(live[0]!.id.length), f.severity])).toEqual([
      ['', 'high'],
      ['-r16', 'high'],
      ['-r17', 'high'],
      ['-r18', 'high'],
      ['-r19', 'high'],
      ['-critical', 'critical'],
    ]);
    const [first, raised] = [live[0]!, live.at(-1)!];
    expect(live.slice(1).every((f) => f.evidence.updates === first.id && findingId(f) === first.id)).toBe(true);
    expect(live.slice(1, -1).every((f) => f.evidence.revised === 1 && /Revised: what it counts grew/.test(f.description))).toBe(true);
    expect(findingId(raised)).toBe(first.id);
    // The same episode, further on: the window starts where it did, and ends later.
    expect(raised).toMatchObject({ windowStart: first.windowStart, subject: first.subject });
    expect(raised.windowEnd).toBeGreaterThan(first.windowEnd);
    expect(raised.evidence.raisedFrom).toBe('high');
    expect(raised.evidence.distinctOkReadsAtLeast).toBeGreaterThanOrEqual(20);
    expect(raised.description).toMatch(/Raised from high, the severity first published for this window\.$/);
    // The claim: the highest severity, magnitude class and span class published.
    expect(await store.claimed([first.id])).toEqual(new Map([[first.id, 'critical|19|0']]));
    // Replayed from the start (a restart from older offsets): all are claimed.
    expect(await run(inBatchesOf(10), store)).toEqual([]);
  });

  it('is published once, at its final severity, when one batch holds it all', async () => {
    const whole = await run([walk]);
    expect(whole.map((f) => [f.severity, f.evidence.raisedFrom])).toEqual([['critical', undefined]]);
  });

  it('is raised by a later slice of the same batch, as by a later batch', async () => {
    const live = await run(inBatchesOf(20));
    expect(live.map((f) => f.severity)).toEqual(['high', 'high', 'critical']);
    // One batch of 80 s in slices of 20 s: each slice judges the window, and the last one raises it.
    const sliced = await run([walk], new MemoryStateStore(), 20_000);
    expect(sliced).toEqual(live);
  });

  it('is not raised over a claim that recorded no severity (written before claims did)', async () => {
    const store = new MemoryStateStore();
    const [first] = await run(inBatchesOf(10).slice(0, 4), new MemoryStateStore());
    expect(first!.severity).toBe('high');
    await store.claim([{ id: first!.id, severity: '1' }], 60_000, T0);
    expect(await run(inBatchesOf(10), store)).toEqual([]);
  });

  it('is not published again when it judges lower, only revised at its severity as its counts grow', async () => {
    // Served reads first: critical at once; the denied reads after it do not lower the window to a new finding.
    const servedFirst = walk.map((e, i) => ({ ...e, status: i < 40 ? 200 : 403 }));
    const store = new MemoryStateStore();
    const engine = new DetectionEngine({ config, store });
    const out: Finding[] = [];
    for (let i = 0; i < servedFirst.length; i += 10) {
      const { findings, duplicates } = await engine.process(servedFirst.slice(i, i + 10));
      await engine.markPublished(findings);
      out.push(...findings.filter((f) => f.detector === 'bola_enumeration'));
      if (i >= 40) expect(duplicates + findings.length).toBeGreaterThan(0);
    }
    expect(out.map((f) => f.severity)).toEqual(['critical', 'critical', 'critical', 'critical', 'critical']);
    expect(out.slice(1).every((f) => f.evidence.updates === out[0]!.id && f.evidence.revised === 1)).toBe(true);
  });

  it('escalates the notifier\'s incident: notify on the probe, wake up once its reads were served', async () => {
    const findings = await run(inBatchesOf(10));
    const config = parseEscalationConfig({});
    let incident: IncidentState | undefined;
    const notifications: Notification[] = [];
    for (const f of findings) {
      const t = applyFinding(incident, f, config, f.detectedAt);
      incident = t.state;
      notifications.push(...t.notifications);
    }
    // One window: its revisions and its raise update the incident's finding, they are not repetitions.
    expect(incident).toMatchObject({ tier: 'wake_up', severity: 'critical', findingCount: 1 });
    expect(notifications).toEqual([
      { tier: 'notify', kind: 'trigger', reason: 'severity high' },
      { tier: 'wake_up', kind: 'trigger', reason: 'confirmed enumeration with successful reads' },
    ]);
  });
});
