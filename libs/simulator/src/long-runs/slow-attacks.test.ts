import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiTransaction } from '@vigil/contracts';
import type { Label } from '../ground-truth.js';
import { simulate, type Simulation } from '../simulate.js';
import { HOUR, MINUTE } from '../traffic.js';

const SIX = Date.UTC(2026, 10, 18, 6);
const gaps = (events: readonly ApiTransaction[]) => events.slice(1).map((e, i) => e.timestamp - events[i]!.timestamp);
const idOf = (e: ApiTransaction) => Number(/\/(\d+)(\/account)?$/.exec(e.path)![1]);

describe('the slow-attacks scenario', () => {
  let sim: Simulation;
  const labelOf = (value: string) => sim.labels.find((l) => l.subject?.value === value)!;
  const by = (pick: (e: ApiTransaction) => boolean) => sim.events.filter(pick);
  const inLabel = (l: Label, events: readonly ApiTransaction[]) => events.filter((e) => e.timestamp >= l.start && e.timestamp <= l.end);
  beforeAll(() => {
    sim = simulate({ scenario: 'slow-attacks' });
  }, 60_000);

  it('is one 14-hour run from 06:00 with six attack labels, every one after the two-hour warm-up, and no patterns', () => {
    expect([sim.start, sim.end]).toEqual([SIX, SIX + 14 * HOUR]);
    expect(sim.patterns).toEqual([]);
    expect(sim.labels.map((l) => [l.detector, l.api, l.subject?.value])).toEqual([
      ['latency_degradation', 'payments-provider', undefined],
      ['bola_enumeration', 'accounts', 'oscar'],
      ['bola_enumeration', 'accounts', 'peggy'],
      ['bot', 'search', '198.18.0.90'],
      ['bola_enumeration', 'orders', 'victor'],
      ['credential_stuffing', 'auth', '203.0.113.150'],
    ]);
    for (const l of sim.labels) expect(l.start).toBeGreaterThanOrEqual(SIX + 2 * HOUR);
  });

  it('straddles a 2-minute boundary with 50 sequential ids in 50 s, all served: 25 before it, 25 after', () => {
    const reads = inLabel(labelOf('oscar'), by((e) => e.principal === 'oscar'));
    expect(reads).toHaveLength(50);
    expect(reads.map(idOf)).toEqual(Array.from({ length: 50 }, (_, i) => 100_300 + i));
    expect(reads.every((e) => e.status === 200)).toBe(true);
    expect(reads[49]!.timestamp - reads[0]!.timestamp).toBeLessThanOrEqual(50_000);
    const boundary = Math.ceil(reads[0]!.timestamp / (2 * MINUTE)) * 2 * MINUTE;
    expect(reads.filter((e) => e.timestamp < boundary)).toHaveLength(25);
    expect(reads.filter((e) => e.timestamp >= boundary && e.timestamp < boundary + 2 * MINUTE)).toHaveLength(25);
  });

  it('reads 60 foreign accounts at 30–60 s gaps, all served', () => {
    const l = labelOf('peggy');
    const reads = inLabel(l, by((e) => e.principal === 'peggy'));
    expect(reads).toHaveLength(60);
    expect(new Set(reads.map(idOf)).size).toBe(60);
    expect(reads.every((e) => e.status === 200 && idOf(e) !== 100_951)).toBe(true);
    for (const g of gaps(reads)) expect(g >= 30_000 && g <= 60_000).toBe(true);
    expect(l.end).toBe(reads[59]!.timestamp + 1);
  });

  it('reads 120 foreign orders at one every ~45 s over 90 minutes, by a principal with hours of a handful of his own ids an hour', () => {
    const l = labelOf('victor');
    const all = by((e) => e.principal === 'victor');
    const own = new Set(['/users/100950/account', '/users/100950/settings', '/orders', '/orders/509501', '/orders/509502', '/orders/509503', '/orders/509504']);
    const foreign = all.filter((e) => !own.has(e.path));
    expect(foreign).toHaveLength(120);
    expect(new Set(foreign.map((e) => e.path)).size).toBe(120);
    expect(foreign.every((e) => e.status === 200 && e.route === '/orders/{id}')).toBe(true);
    for (const g of gaps(foreign)) expect(g >= 35_000 && g <= 55_000).toBe(true);
    const span = foreign[119]!.timestamp - foreign[0]!.timestamp;
    expect(span).toBeGreaterThan(80 * MINUTE);
    expect(span).toBeLessThan(100 * MINUTE);
    expect(foreign[0]!.timestamp).toBe(l.start);
    // Before it: every hour since the start has his own calls, a handful of distinct paths at most.
    for (let h = SIX; h < l.start; h += HOUR) {
      const hour = all.filter((e) => e.timestamp >= h && e.timestamp < h + HOUR);
      expect(hour.length).toBeGreaterThan(0);
      expect(hour.every((e) => own.has(e.path))).toBe(true);
      expect(new Set(hour.map((e) => e.path)).size).toBeLessThanOrEqual(7);
    }
  });

  it('scrapes with a library agent at one page every 20 s, steady, for 2 hours', () => {
    const l = labelOf('198.18.0.90');
    const calls = by((e) => e.clientIp === '198.18.0.90');
    expect(calls).toHaveLength(360);
    expect(calls.every((e) => e.userAgent === 'python-requests/2.32.3' && e.api === 'search')).toBe(true);
    for (const g of gaps(calls)) expect(Math.abs(g - 20_000)).toBeLessThanOrEqual(500);
    expect(l.end - l.start).toBe(2 * HOUR);
  });

  it('stuffs one login a minute from one address, each a different username, all refused, for 3 hours', () => {
    const attempts = by((e) => e.clientIp === '203.0.113.150');
    expect(attempts).toHaveLength(180);
    expect(new Set(attempts.map((e) => e.principal)).size).toBe(180);
    expect(attempts.every((e) => e.status === 401 && e.route === '/login' && e.method === 'POST')).toBe(true);
    for (const g of gaps(attempts)) expect(Math.abs(g - MINUTE)).toBeLessThanOrEqual(20_000);
    expect(attempts[179]!.timestamp - attempts[0]!.timestamp).toBeGreaterThan(175 * MINUTE);
  });

  it("creeps the payments provider's latency to about 3x over 6 hours, then recovers", () => {
    const l = sim.labels.find((x) => x.detector === 'latency_degradation')!;
    const median = (from: number, to: number) => {
      const xs = by((e) => e.api === 'payments-provider' && e.timestamp >= from && e.timestamp < to)
        .map((e) => e.latencyMs)
        .sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    const before = median(l.start - HOUR, l.start);
    expect(median(l.start + 5.5 * HOUR, l.start + 6.5 * HOUR) / before).toBeGreaterThan(2.5);
    expect(median(l.start + 2.5 * HOUR, l.start + 3.5 * HOUR) / before).toBeGreaterThan(1.7);
    expect(median(l.start + 2.5 * HOUR, l.start + 3.5 * HOUR) / before).toBeLessThan(2.3);
    expect(median(l.end, l.end + 2 * HOUR) / before).toBeLessThan(1.2);
    expect(l.end - l.start).toBe(7 * HOUR);
  });
});
