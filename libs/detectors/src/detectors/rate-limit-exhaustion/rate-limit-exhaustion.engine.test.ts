import { findingSchema, type ApiTransaction } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, only, tx } from '../../testing.js';

const PROVIDER = 'payments-provider';
const ROUTE = '/v1/charges';
const LIMIT = 1000;

/** Calls to the provider, 10 a minute for two hours; the quota resets every hour and never drops below half. */
function provider(headers = true): ApiTransaction[] {
  return background({
    from: T0,
    to: T0 + 2 * HOUR,
    perMinute: 10,
    api: PROVIDER,
    route: ROUTE,
    direction: 'outbound',
    path: () => ROUTE,
    shape: (e) => {
      const { clientIp: _ip, ...rest } = e;
      const usedThisHour = Math.floor((e.timestamp % HOUR) / MINUTE) * 8;
      return { ...rest, method: 'POST', status: 200, ...(headers ? { rateLimitLimit: LIMIT, rateLimitRemaining: LIMIT - usedThisHour } : {}) };
    },
  });
}

/** `count` outbound calls from `at`, one every 5 s, with the given remaining quota (a function of i) and status. */
function calls(at: number, count: number, remaining: ((i: number) => number) | undefined, status: (i: number) => number, over: Partial<ApiTransaction> = {}): ApiTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    tx({
      id: `rl-${at}-${i}`,
      timestamp: at + i * 5_000,
      direction: 'outbound',
      api: PROVIDER,
      method: 'POST',
      path: ROUTE,
      route: ROUTE,
      status: status(i),
      clientIp: undefined,
      ...(remaining ? { rateLimitLimit: LIMIT, rateLimitRemaining: remaining(i) } : {}),
      ...over,
    }),
  );
}

const AT = T0 + 2 * HOUR + 2 * MINUTE;

describe('rate_limit_exhaustion', () => {
  it('reports the remaining quota falling to 0 with 429s', async () => {
    // 20 calls: remaining 95, 90, … down to 0 at the 20th call; then 6 calls refused with 429.
    const burn = calls(AT, 20, (i) => Math.max(0, 95 - 5 * i), () => 200);
    const refused = calls(AT + 100_000, 6, () => 0, () => 429);
    const found = only(await detect([...provider(), ...burn, ...refused]), 'rate_limit_exhaustion');
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.subject).toEqual({ kind: 'api', value: PROVIDER });
    expect(f.api).toBe(PROVIDER);
    expect(f.route).toBe(ROUTE);
    expect(f.severity).toBe('high');
    expect(f.owasp).toBeUndefined();
    expect(f.evidence.minRemainingShare).toBe(0);
    expect(f.evidence.rateLimited429).toBe(6);
    // The window holds the last 5 minutes: the burn, the refusals and the provider's background calls.
    expect(f.evidence.requests).toBeGreaterThanOrEqual(26);
    expect(f.evidence.rateLimitedShare).toBeCloseTo(6 / (f.evidence.requests as number), 4);
    // A fixed 15-minute window, aligned.
    expect(f.windowStart).toBe(T0 + 2 * HOUR);
    expect(f.windowEnd).toBe(T0 + 2 * HOUR + 15 * MINUTE);
    expect(f.confidence).toBeGreaterThan(0.5);
    expect(f.title).toContain('429');
    expect(findingSchema.safeParse(f).success).toBe(true);
  });

  it('reports a quota nearly spent before any 429 as medium', async () => {
    // Remaining 3% of the limit: below the 5% mark.
    const found = only(await detect([...provider(), ...calls(AT, 10, (i) => 60 - 3 * i, () => 200)]), 'rate_limit_exhaustion');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('medium');
    expect(found[0]!.evidence.minRemainingShare).toBe(0.033);
    expect(found[0]!.evidence.rateLimited429).toBe(0);
  });

  it('reports 429s from a provider that sends no rate-limit headers', async () => {
    const found = only(await detect([...provider(false), ...calls(AT, 4, undefined, () => 429)]), 'rate_limit_exhaustion');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('high');
    expect(found[0]!.evidence.minRemainingShare).toBeUndefined();
    expect(found[0]!.evidence.rateLimited429).toBe(4);
  });

  it('keeps one finding per 15-minute window while exhaustion lasts', async () => {
    // 429s every 5 s for 25 minutes from 2:02, in batches of 20: windows 2:00 and 2:15.
    const refused = calls(AT, 300, () => 0, () => 429);
    const found = only(await detect([...provider(), ...refused], { batchSize: 20 }), 'rate_limit_exhaustion');
    expect(found.map((f) => f.windowStart)).toEqual([T0 + 2 * HOUR, T0 + 2 * HOUR + 15 * MINUTE]);
  });

  it('raises nothing new once the quota has recovered, though the 5-minute window remembers the low point', async () => {
    // Exhausted at 2:13–2:14 (window 2:00); from 2:15 the quota has reset and calls succeed.
    const exhausted = calls(T0 + 2 * HOUR + 13 * MINUTE, 12, () => 0, (i) => (i < 6 ? 200 : 429));
    const recovered = calls(T0 + 2 * HOUR + 15 * MINUTE, 24, (i) => 990 - i, () => 200);
    const found = only(await detect([...provider(), ...exhausted, ...recovered], { batchSize: 10 }), 'rate_limit_exhaustion');
    expect(found.map((f) => f.windowStart)).toEqual([T0 + 2 * HOUR]);
  });

  it('honours the thresholds and the severity override from config', async () => {
    const events = [...provider(), ...calls(AT, 10, (i) => 150 - 5 * i, () => 200)]; // lowest 10.5%
    expect(only(await detect(events), 'rate_limit_exhaustion')).toEqual([]);
    const found = only(await detect(events, { config: { rate_limit_exhaustion: { maxRemainingShare: 0.15, severity: 'low' } } }), 'rate_limit_exhaustion');
    expect(found.map((f) => f.severity)).toEqual(['low']);
  });

  it.each([
    ['a provider with plenty of headroom', () => provider()],
    ['ordinary inbound traffic', () => background({ from: T0, to: T0 + 3 * HOUR, perMinute: 10 })],
    ['two 429s (below min429)', () => [...provider(), ...calls(AT, 2, () => 400, () => 429)]],
    ['429s our own API answers (inbound)', () => [...provider(), ...calls(AT, 10, () => 0, () => 429, { direction: 'inbound', api: 'accounts', clientIp: '198.51.100.4' })]],
  ])('is silent for %s', async (_, events) => {
    expect(only(await detect(events()), 'rate_limit_exhaustion')).toEqual([]);
  });
});
