import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, only, tx } from '../../testing.js';

const ROUTE = '/accounts/{id}';

/** Three hours of a stable route whose responses all have one shape (`sig-a`), 4 calls a minute. */
function stable(signatures: readonly string[] = ['sig-a'], o: { direction?: 'inbound' | 'outbound'; api?: string; perMinute?: number; hours?: number } = {}): ApiTransaction[] {
  return background({
    from: T0,
    to: T0 + (o.hours ?? 3) * HOUR,
    perMinute: o.perMinute ?? 4,
    route: ROUTE,
    ...(o.api ? { api: o.api } : {}),
    ...(o.direction ? { direction: o.direction } : {}),
    shape: (e, r) => ({ ...e, responseSignature: signatures[Math.floor(r() * signatures.length)]! }),
  });
}

/** `count` calls on the route from `at`, one every 10 s, carrying `signature`. */
function shaped(signature: string, at: number, count: number, over: Partial<ApiTransaction> = {}): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({ id: `${signature}-${at}-${i}`, timestamp: at + i * 10_000, path: `/accounts/${2000 + i}`, route: ROUTE, principal: `user-${i}`, responseSignature: signature, ...over }),
  );
}

describe('schema_drift', () => {
  it('reports a new response signature on a stable route', async () => {
    const at = T0 + 3 * HOUR + 10 * MINUTE;
    const drift = shaped('sig-b', at, 5);
    const found = only(await detect([...stable(), ...drift]), 'schema_drift');
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.subject).toEqual({ kind: 'route', value: ROUTE });
    expect(f.route).toBe(ROUTE);
    expect(f.api).toBe('accounts');
    expect(f.severity).toBe('medium');
    expect(f.owasp).toBe('API3:2023');
    // The window is the hour in which the signature was first seen.
    expect(f.windowStart).toBe(T0 + 3 * HOUR);
    expect(f.windowEnd).toBe(T0 + 4 * HOUR);
    expect(f.evidence.newSignatures).toBe('sig-b');
    expect(f.evidence.newSignatureCount).toBe(1);
    expect(f.evidence.knownSignatures).toBe(1);
    expect(f.evidence.firstEventId).toBe(drift[0]!.id);
    // Three hours at 4 a minute, give or take the jitter at the edges.
    expect(f.evidence.baselineRequests).toBeGreaterThanOrEqual(3 * 60 * 4 - 5);
    expect(f.evidence.baselineHours).toBe(3);
    expect(f.evidence.eventsWithNewSignatures).toBe(5);
    expect(f.eventIds).toContain(drift[0]!.id);
    expect(f.title).toContain(ROUTE);
    expect(findingSchema.safeParse(f).success).toBe(true);
  });

  it('does not report the same new signature again later', async () => {
    const events = [
      ...stable(),
      ...shaped('sig-b', T0 + 3 * HOUR + 10 * MINUTE, 5),
      // The new shape becomes the norm: it keeps coming, in later batches and a later hour.
      ...shaped('sig-b', T0 + 3 * HOUR + 40 * MINUTE, 30),
      ...shaped('sig-b', T0 + 4 * HOUR + 5 * MINUTE, 30),
    ];
    const found = only(await detect(events, { batchSize: 50 }), 'schema_drift');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.newSignatures).toBe('sig-b');
  });

  it('lists two signatures first seen in the same hour in one finding', async () => {
    const at = T0 + 3 * HOUR + 10 * MINUTE;
    const found = only(await detect([...stable(), ...shaped('sig-c', at + 1000, 2), ...shaped('sig-b', at, 2)]), 'schema_drift');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.newSignatures).toBe('sig-b, sig-c');
    expect(found[0]!.evidence.newSignatureCount).toBe(2);
  });

  it('reports signatures first seen in different hours separately', async () => {
    const found = only(
      await detect([...stable(['sig-a'], { hours: 4 }).filter((e) => e.timestamp < T0 + 3 * HOUR + 50 * MINUTE), ...shaped('sig-b', T0 + 3 * HOUR + 55 * MINUTE, 2), ...shaped('sig-c', T0 + 4 * HOUR + 5 * MINUTE, 2)]),
      'schema_drift',
    );
    expect(found.map((f) => [f.evidence.newSignatures, f.windowStart])).toEqual([
      ['sig-b', T0 + 3 * HOUR],
      ['sig-c', T0 + 4 * HOUR],
    ]);
  });

  it('judges each signature against the route as it was when it appeared, even in one batch spanning hours', async () => {
    // One batch holds three hours: its own events fill the baseline hours. A shape first seen at 0:30
    // (warm-up) stays quiet; one first seen at 3:10 is news.
    const events = [...stable(['sig-a', 'sig-a', 'sig-a', 'sig-w']), ...shaped('sig-b', T0 + 3 * HOUR + 10 * MINUTE, 2)];
    const found = only(await detect(events, { batchSize: 100_000 }), 'schema_drift');
    expect(found.map((f) => f.evidence.newSignatures)).toEqual(['sig-b']);
    expect(found[0]!.evidence.knownSignatures).toBe(2);
  });

  it('reports a provider changing its response shape as unsafe consumption (outbound)', async () => {
    const out = { direction: 'outbound' as const, api: 'payments-provider' };
    const events = [...stable(['sig-a'], out), ...shaped('sig-z', T0 + 3 * HOUR + 10 * MINUTE, 3, { ...out, clientIp: undefined })];
    const found = only(await detect(events), 'schema_drift');
    expect(found).toHaveLength(1);
    expect(found[0]!.api).toBe('payments-provider');
    expect(found[0]!.owasp).toBe('API10:2023');
  });

  it('reports a new shape on a route of many shapes as low', async () => {
    const many = Array.from({ length: 8 }, (_, i) => `sig-${i}`);
    const found = only(await detect([...stable(many), ...shaped('sig-new', T0 + 3 * HOUR + 10 * MINUTE, 3)]), 'schema_drift');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.knownSignatures).toBe(8);
    expect(found[0]!.severity).toBe('low');
  });

  it('honours the severity override', async () => {
    const found = only(await detect([...stable(), ...shaped('sig-b', T0 + 3 * HOUR + 10 * MINUTE, 2)], { config: { schema_drift: { severity: 'high' } } }), 'schema_drift');
    expect(found.map((f) => f.severity)).toEqual(['high']);
  });

  it.each([
    ['ordinary traffic without signatures', () => background({ from: T0, to: T0 + 4 * HOUR, perMinute: 4 })],
    ['a stable route keeping its shape', () => stable(['sig-a'], { hours: 4 })],
    ['a stable route keeping its usual mix of shapes', () => stable(['sig-a', 'sig-b', 'sig-c'], { hours: 4 })],
    // Learnt during warm-up: a route that starts with several shapes has them all in its first hour.
    ['a route with several signatures during warm-up', () => stable(['sig-a', 'sig-b', 'sig-c', 'sig-d'], { hours: 1 })],
    ['a new shape at 0:30 on a new route, seen in a batch at 3:00', () => [...stable(), ...shaped('sig-b', T0 + 30 * MINUTE, 2)].filter((e) => e.timestamp < T0 + 3 * HOUR)],
    ['a new shape on a route still warming up (one hour of history)', () => [...stable(['sig-a'], { hours: 1 }), ...shaped('sig-b', T0 + HOUR + 10 * MINUTE, 5)]],
    ['a new shape on a route with too few requests (1 a minute)', () => [...stable(['sig-a'], { perMinute: 1 }), ...shaped('sig-b', T0 + 3 * HOUR + 10 * MINUTE, 5)]],
  ])('is silent for %s', async (_, events) => {
    expect(only(await detect(events()), 'schema_drift')).toEqual([]);
  });
});
