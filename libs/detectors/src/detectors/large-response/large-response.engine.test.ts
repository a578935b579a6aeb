import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, only, tx } from '../../testing.js';

const MB = 1024 * 1024;
const ROUTE = '/accounts/{id}';
const AT = T0 + 3 * HOUR + 12 * MINUTE; // inside the 10-minute window 3:10–3:20

/** Three hours of ordinary ~1 KB responses (800–1200 bytes) on one route, 5 a minute. */
function normal(hours = 3, shape?: (e: ApiTransaction) => ApiTransaction): ApiTransaction[] {
  return background({ from: T0, to: T0 + hours * HOUR, perMinute: 5, route: ROUTE, ...(shape ? { shape } : {}) });
}

function big(bytes: number, over: Partial<ApiTransaction> = {}): ApiTransaction {
  return tx({ id: `big-${bytes}-${over.timestamp ?? AT}`, timestamp: AT, path: '/accounts/4242', route: ROUTE, principal: 'user-42', responseBytes: bytes, ...over });
}

describe('large_response', () => {
  it('reports one 80 MB export among normal 1 KB responses', async () => {
    const found = only(await detect([...normal(), big(80 * MB)]), 'large_response');
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.subject).toEqual({ kind: 'principal', value: 'user-42' });
    expect(f.route).toBe(ROUTE);
    expect(f.severity).toBe('high');
    expect(f.owasp).toBe('API3:2023');
    expect(f.evidence.responseBytes).toBe(80 * MB);
    expect(f.evidence.path).toBe('/accounts/4242');
    expect(f.evidence.eventId).toBe(`big-${80 * MB}-${AT}`);
    // The baseline p99 is the representative value of a histogram bin near 1.2 KB.
    const p99 = f.evidence.baselineP99Bytes as number;
    expect(p99).toBeGreaterThan(1000);
    expect(p99).toBeLessThan(1800);
    // The evidence rounds p99 to whole bytes and the ratio to one decimal: they agree to 0.1%.
    expect(Math.abs((f.evidence.ratio as number) / ((80 * MB) / p99) - 1)).toBeLessThan(0.001);
    expect(f.windowStart).toBe(T0 + 3 * HOUR + 10 * MINUTE);
    expect(f.windowEnd).toBe(T0 + 3 * HOUR + 20 * MINUTE);
    expect(f.eventIds).toEqual([`big-${80 * MB}-${AT}`]);
    expect(f.title).toContain('80 MiB');
    expect(findingSchema.safeParse(f).success).toBe(true);
  });

  it('reports a response far above the route p99 even under the absolute threshold', async () => {
    // 2 MB is ~1700 times a 1.2 KB p99 and above minBytes (1 MiB).
    const found = only(await detect([...normal(), big(2 * MB)]), 'large_response');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('high');
    expect(found[0]!.evidence.ratio).toBeGreaterThan(20);
  });

  it('reports a huge response on a route with no baseline yet, without a ratio', async () => {
    const found = only(await detect([big(60 * MB, { timestamp: T0 + 5 * MINUTE })]), 'large_response');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('high');
    expect(found[0]!.evidence.baselineP99Bytes).toBeUndefined();
    expect(found[0]!.evidence.ratio).toBeUndefined();
  });

  it('reports a huge response on a route that routinely serves big ones as medium', async () => {
    // A download route whose responses are 20–40 MB: 60 MB is over absoluteBytes but not 20x its p99.
    const downloads = normal(3, (e) => ({ ...e, responseBytes: 20 * MB + Math.floor((e.latencyMs - 20) / 30 * 20 * MB) }));
    const found = only(await detect([...downloads, big(60 * MB)]), 'large_response');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('medium');
    expect(found[0]!.evidence.ratio).toBeLessThan(20);
  });

  it('judges a response against the route as it was then, even in one batch spanning hours', async () => {
    // One batch of three hours and more: at 0:30 the route was new (no baseline), at 3:12 it was not.
    const events = [...normal(), big(2 * MB, { timestamp: T0 + 30 * MINUTE }), big(2 * MB)];
    const found = only(await detect(events, { batchSize: 100_000 }), 'large_response');
    expect(found.map((f) => f.windowStart)).toEqual([T0 + 3 * HOUR + 10 * MINUTE]);
  });

  it('groups the large responses of one subject in a window and reports the largest', async () => {
    const events = [...normal(), big(3 * MB), big(90 * MB, { timestamp: AT + 60_000 }), big(5 * MB, { timestamp: AT + 120_000 })];
    const found = only(await detect(events), 'large_response');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.responseBytes).toBe(90 * MB);
    expect(found[0]!.evidence.largeResponses).toBe(3);
    expect(found[0]!.evidence.largeResponsesBytes).toBe(98 * MB);
  });

  it('learns a size the route keeps serving (a popular download): high once, then low with its recurrences, then nothing', async () => {
    // The same 52 MiB file (within 2%), fetched by a different principal every 40 minutes from 0:30.
    const fetches = Array.from({ length: 6 }, (_, i) =>
      big(52 * MB + i * 1000, { id: `dl-${i}`, timestamp: T0 + 30 * MINUTE + i * 40 * MINUTE, principal: `reader-${i}`, path: '/files/catalog.zip' }),
    );
    const found = only(await detect([...normal(5), ...fetches], { batchSize: 200 }), 'large_response').sort((a, b) => a.windowStart - b.windowStart);
    expect(found.map((f) => [f.subject.value, f.severity, f.evidence.recurrences])).toEqual([
      ['reader-0', 'high', undefined],
      ['reader-1', 'low', 1],
      ['reader-2', 'low', 2],
    ]);
    expect(found[1]!.evidence.usual).toBe('the route served 52 MiB (within 2%) 1 time before');
    // Another size on the same route is news again.
    const other = big(75 * MB, { id: 'dl-other', timestamp: T0 + 4.5 * HOUR, principal: 'reader-9' });
    const again = only(await detect([...normal(5), ...fetches, other], { batchSize: 200 }), 'large_response');
    expect(again.filter((f) => f.subject.value === 'reader-9').map((f) => f.severity)).toEqual(['high']);
  });

  it('separates subjects: principal, else IP', async () => {
    const anon = big(80 * MB, { principal: undefined, clientIp: '198.51.100.9' });
    const found = only(await detect([...normal(), big(80 * MB), anon]), 'large_response');
    expect(found.map((f) => f.subject).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'ip', value: '198.51.100.9' },
      { kind: 'principal', value: 'user-42' },
    ]);
  });

  it('honours thresholds and the severity override from config', async () => {
    const events = [...normal(), big(2 * MB)];
    expect(only(await detect(events, { config: { large_response: { minBytes: 4 * MB } } }), 'large_response')).toEqual([]);
    const found = only(await detect([...normal(), big(80 * MB)], { config: { large_response: { severity: 'critical' } } }), 'large_response');
    expect(found.map((f) => f.severity)).toEqual(['critical']);
  });

  it.each([
    ['normal traffic', () => normal(4)],
    ['ordinary background on derived routes', () => background({ from: T0, to: T0 + 3 * HOUR, perMinute: 5 })],
    // 900 KB is 700x the p99 but under minBytes: not outsized in absolute terms.
    ['a response far above p99 but under minBytes', () => [...normal(), big(900 * 1024)]],
    // 2 MB on a route still warming up (one hour): no baseline to compare with, and under absoluteBytes.
    ['a 2 MB response on a route warming up', () => [...normal(1), big(2 * MB, { timestamp: T0 + HOUR + 5 * MINUTE })]],
  ])('is silent for %s', async (_, events) => {
    expect(only(await detect(events()), 'large_response')).toEqual([]);
  });
});
