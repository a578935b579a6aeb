import type { ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, latest, only, tx } from '../../testing.js';
import { responseSize } from './index.js';

const MiB = 1024 * 1024;
// Batches of 60 events (3 minutes at 20/min): windows are judged at the end of each batch.
const run = (events: ApiTransaction[]) => detect(events, { detectors: [responseSize], batchSize: 60 }).then((f) => only(f, 'response_size'));

const AT = T0 + 2 * HOUR;

/** `count` calls by `principal` evenly spread over [from, to), each answered with `bytes`. */
function calls(principal: string, from: number, to: number, count: number, bytes: number, path = '/reports/42'): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({ id: `${principal}-${from}-${i}`, timestamp: from + Math.floor(((to - from) * i) / count), path, principal, clientIp: '203.0.113.9', responseBytes: bytes }),
  );
}

describe('response_size', () => {
  it('fires for a route whose responses grow 10x (a field suddenly holding whole records)', async () => {
    const events = background({ from: T0, to: AT + 10 * MINUTE, perMinute: 20, seed: 31, shape: (e) => (e.timestamp >= AT ? { ...e, responseBytes: e.responseBytes! * 10 } : e) });
    const findings = await run(events);
    // The growth sits in one aligned 15-minute span: one finding.
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.subject).toEqual({ kind: 'route', value: '/accounts/{id}' });
    expect(f.route).toBe('/accounts/{id}');
    expect(f.owasp).toBe('API3:2023');
    expect(f.severity).toBe('medium');
    expect(f.windowStart).toBe(AT);
    // Background responses are 800–1200 bytes.
    expect(f.evidence.baselineMeanBytes).toBeGreaterThan(900);
    expect(f.evidence.baselineMeanBytes).toBeLessThan(1100);
    expect(f.evidence.ratio).toBeGreaterThanOrEqual(4);
    expect(f.evidence.ratio).toBeLessThanOrEqual(10.5);
    expect(f.evidence.observedMeanBytes).toBeCloseTo(Number(f.evidence.ratio) * Number(f.evidence.baselineMeanBytes), -2);
    expect(f.eventIds.length).toBeGreaterThan(0);
  });

  // A finding is published when the subject's window first crosses the thresholds, so its first severity
  // depends on where batches fall; a window that judges worse later (the pull goes on) is published once more,
  // raised (publication.ts), and one whose bytes grow is revised: the latest says what the pull was.
  it.each([
    { name: 'pulls 200 MiB in 5 minutes when it used ~1 MiB per 5 minutes', usualPerCall: 200 * 1024, pulled: 200 * MiB, severity: 'high' },
    { name: 'pulls 50 MiB in 5 minutes when it used ~1 MiB per 5 minutes', usualPerCall: 200 * 1024, pulled: 50 * MiB, severity: 'medium' },
    { name: 'pulls 200 MiB in 5 minutes when it used ~100 KiB per 5 minutes', usualPerCall: 20 * 1024, pulled: 200 * MiB, severity: 'high' },
    { name: 'without history pulls 150 MiB in 5 minutes (over 5x principalMinBytes)', usualPerCall: 0, pulled: 150 * MiB, severity: 'medium' },
  ])('fires for a principal that $name', async ({ usualPerCall, pulled, severity }) => {
    const history = usualPerCall > 0;
    const events = [
      ...background({ from: T0 + HOUR, to: AT + 10 * MINUTE, perMinute: 20, seed: 32 }),
      // The previous hour: one call a minute.
      ...(history ? calls('svc-reporting', T0 + HOUR, AT, 60, usualPerCall) : []),
      // 100 calls of pulled/100 bytes between 03:00 and 03:04.
      ...calls('svc-reporting', AT, AT + 4 * MINUTE, 100, pulled / 100),
    ];
    const findings = (await run(events)).filter((f) => f.subject.kind === 'principal');
    // One pull, one finding: later publications update it (raised, or revised as the bytes grew).
    const [f] = latest(findings);
    expect(latest(findings)).toHaveLength(1);
    expect(findings.slice(1).every((u) => u.evidence.updates === findings[0]!.id)).toBe(true);
    expect(f!.severity).toBe(severity);
    for (const raised of findings.filter((u) => u.evidence.raisedFrom !== undefined)) {
      expect(raised.description).toMatch(new RegExp(`Raised from ${raised.evidence.raisedFrom}, the severity first published for this window\\.$`));
    }
    expect(f!.subject).toEqual({ kind: 'principal', value: 'svc-reporting' });
    expect(f!.api).toBe('accounts');
    expect(f!.owasp).toBe('API3:2023');
    // The episode starts with the first window that fired: the subject's own calls in it, before the pull, included.
    expect(f!.windowStart).toBeGreaterThanOrEqual(AT - 5 * MINUTE);
    expect(f!.windowStart).toBeLessThanOrEqual(AT);
    // The latest publication counts (nearly) the whole pull: revised each time it grew by a quarter.
    expect(f!.evidence.bytes).toBeGreaterThanOrEqual(pulled / 1.25);
    expect(f!.evidence.bytes).toBeLessThanOrEqual(pulled + 5 * usualPerCall);
    expect(String(f!.evidence.samplePaths)).toContain('/reports/42');
    if (history) {
      // One call a minute before the window, over the minutes the subject was seen in.
      expect(Number(f!.evidence.baselineBytesPer5m)).toBeCloseTo(5 * usualPerCall, -4);
      expect(f!.evidence.ratio).toBeCloseTo(Number(f!.evidence.bytes) / Number(f!.evidence.baselineBytesPer5m), 2);
    } else {
      expect(f!.evidence.baselineBytesPer5m).toBeUndefined();
      expect(f!.evidence.bytes).toBeGreaterThanOrEqual(100 * MiB);
    }
  });

  it.each([
    { name: 'plain background traffic for two and a half hours', events: () => background({ from: T0, to: AT + 30 * MINUTE, perMinute: 20, seed: 33 }) },
    {
      // Sizes from ~200 B to ~20 KiB (log-uniform), the same all along.
      name: 'normal size jitter for two hours and more',
      events: () => background({ from: T0, to: AT + 10 * MINUTE, perMinute: 20, seed: 34, shape: (e, r) => ({ ...e, responseBytes: Math.round(200 * 100 ** r()) }) }),
    },
    {
      name: 'a principal pulling 40 MiB in 5 minutes when it usually pulls 10 MiB',
      events: () => [
        ...background({ from: T0 + HOUR, to: AT + 10 * MINUTE, perMinute: 20, seed: 35 }),
        ...calls('svc-reporting', T0 + HOUR, AT, 60, 2 * MiB),
        ...calls('svc-reporting', AT, AT + 4 * MINUTE, 40, MiB),
      ],
    },
    {
      name: 'a principal without history pulling 60 MiB in 5 minutes',
      events: () => [...background({ from: T0 + HOUR, to: AT + 10 * MINUTE, perMinute: 20, seed: 36 }), ...calls('svc-reporting', AT, AT + 4 * MINUTE, 60, MiB)],
    },
  ])('does not fire on $name', async ({ events }) => {
    expect(await run(events())).toEqual([]);
  });
});
