import { describe, expect, it } from 'vitest';
import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { HOUR, MINUTE, T0, background, detect, latest, only, rng, tx } from '../../testing.js';
import { bolaEnumeration, distinctOkReadsAtLeast } from './index.js';

const WINDOW = 120_000; // default bola window
const detectors = [bolaEnumeration];

/** `count` reads of /users/{id}/account by one principal, `stepMs` apart from `from`. */
function reads(from: number, count: number, stepMs: number, id: (i: number) => number | string, status: (i: number) => number, principal = 'mallory'): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({
      id: `atk-${principal}-${from}-${i}`,
      timestamp: from + i * stepMs,
      path: `/users/${id(i)}/account`,
      status: status(i),
      principal,
      clientIp: '203.0.113.50',
    }),
  );
}

const bg = (hours: number, perMinute = 20) => background({ from: T0, to: T0 + hours * HOUR, perMinute });

describe('bola_enumeration', () => {
  it('flags a principal reading 80 sequential ids on /users/{id}/account within 2 minutes (critical: all read)', async () => {
    const start = T0 + 10 * MINUTE; // a window boundary
    const findings = latest(only(await detect([...bg(0.25), ...reads(start, 80, 1_400, (i) => 5000 + i, () => 200)], { detectors }), 'bola_enumeration'));
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'principal', value: 'mallory' });
    expect(f.route).toBe('/users/{id}/account');
    expect(f.owasp).toBe('API1:2023');
    expect(f.severity).toBe('critical');
    // From its first read to the 10-second slot of its last (at 110.6 s).
    expect(f.windowStart).toBe(start);
    expect(f.windowEnd).toBe(start + 120_000);
    expect(f.evidence.distinctIds).toBe(80);
    expect(f.evidence.okReads).toBe(80);
    expect(f.evidence.denied).toBe(0);
    expect(f.evidence.sequentialShare).toBe(1);
    expect(String(f.evidence.sampleIds)).toContain('5000');
    expect(f.title).toContain('mallory');
    expect(f.eventIds.length).toBeGreaterThan(0);
    expect(f.eventIds.every((id) => id.startsWith('atk-'))).toBe(true);
    expect(() => findingSchema.parse(f)).not.toThrow(); // a valid Finding v1
  });

  it('ignores a user reading 5 of their own objects over and over', async () => {
    const own = reads(T0 + 10 * MINUTE, 200, 500, (i) => 700 + (i % 5), () => 200, 'alice');
    expect(only(await detect([...bg(0.25), ...own], { detectors }), 'bola_enumeration')).toEqual([]);
  });

  it('flags random (non-sequential) ids answered 404, as a probe (medium)', async () => {
    const r = rng(99);
    const ids = Array.from({ length: 40 }, () => 100_000 + Math.floor(r() * 900_000));
    const findings = only(await detect([...bg(0.5), ...reads(T0 + 20 * MINUTE, 40, 2_000, (i) => ids[i]!, () => 404)], { detectors }), 'bola_enumeration');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.severity).toBe('medium');
    expect(f.evidence.deniedShare).toBe(1);
    expect(f.evidence.okReads).toBe(0);
    expect(Number(f.evidence.sequentialShare)).toBeLessThan(0.1);
  });

  it.each([
    // ids, status per request → expected severity
    { name: 'many ids, mostly denied, a few read', ids: 70, status: (i: number) => (i % 7 === 0 ? 200 : 403), severity: 'high' },
    { name: 'few ids above threshold, half read', ids: 40, status: (i: number) => (i % 2 === 0 ? 200 : 404), severity: 'critical' },
    { name: 'few ids above threshold, half denied, under confirmedOkReads', ids: 34, status: (i: number) => (i % 2 === 0 ? 200 : 404), severity: 'high' },
    { name: 'just under the threshold', ids: 29, status: () => 200, severity: undefined },
  ])('severity: $name → $severity', async ({ ids, status, severity }) => {
    const findings = only(await detect(reads(T0 + 4 * MINUTE, ids, 1_000, (i) => 9000 + i, status), { detectors }), 'bola_enumeration');
    if (severity === undefined) expect(findings).toEqual([]);
    else {
      expect(findings).toHaveLength(1);
      expect(findings[0]!.severity).toBe(severity);
    }
  });

  it('gives one finding for the whole enumeration, revised as it grows, when it is mixed into background traffic and split over many batches', async () => {
    const start = T0 + 30 * MINUTE;
    // 180 ids over 234 s: longer than a window.
    const attack = reads(start, 180, 1_300, (i) => 20_000 + i, () => 200);
    const events = [...bg(0.75), ...attack];
    const batchSize = 50;
    const all = only(await detect(events, { detectors, batchSize }), 'bola_enumeration');
    expect(new Set(all.map((f) => f.id)).size).toBe(all.length);
    expect(all.slice(1).every((f) => f.evidence.updates === all[0]!.id)).toBe(true);
    const findings = latest(all);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject.value).toBe('mallory');
    // From its first read on (its end is published when it is revised).
    expect(f.windowStart).toBe(start);
    expect(f.windowEnd).toBeGreaterThanOrEqual(start + 120_000);
    expect(f.windowEnd).toBeLessThanOrEqual(start + 240_000);
    // The busiest 2 minutes held 120 s / 1.3 s ≈ 92 ids; revised each time the count grew by a quarter. (The slow
    // horizon has nothing to judge against here: no peers known, no hours of the subject's own.)
    expect(f.evidence.windowMs).toBe(WINDOW);
    expect(Number(f.evidence.distinctIds)).toBeGreaterThan(92 / 1.25);
    // The attack really was spread over many batches.
    const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
    const batchesWithAttack = new Set(sorted.flatMap((e, i) => (e.id.startsWith('atk-') ? [Math.floor(i / batchSize)] : [])));
    expect(batchesWithAttack.size).toBeGreaterThan(3);
  });

  it('respects the severity override', async () => {
    const findings = only(
      await detect(reads(T0, 50, 1_000, (i) => 300 + i, () => 200), { detectors, config: { bola_enumeration: { severity: 'low' } } }),
      'bola_enumeration',
    );
    expect(findings.map((f) => f.severity)).toEqual(['low']);
  });

  it('stays quiet on hours of ordinary traffic', async () => {
    const findings = await detect(background({ from: T0, to: T0 + 2.5 * HOUR, perMinute: 20, users: 150 }), { detectors });
    expect(only(findings, 'bola_enumeration')).toEqual([]);
  });

  it.each([
    { n: 80, ok: 80, distinctIds: 80, expected: 80 },
    // 5 own objects re-read 100 times (all ok) plus 30 foreign ids denied: no foreign read is certain.
    { n: 130, ok: 100, distinctIds: 35, expected: 5 },
    { n: 40, ok: 0, distinctIds: 40, expected: 0 },
  ])('distinctOkReadsAtLeast($n requests, $ok ok, $distinctIds ids) = $expected', ({ n, ok, distinctIds, expected }) => {
    expect(distinctOkReadsAtLeast({ n, ok, distinctIds })).toBe(expected);
  });
});
