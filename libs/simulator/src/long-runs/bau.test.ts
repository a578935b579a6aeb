import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiTransaction } from '@vigil/contracts';
import type { RecurringPattern } from '../ground-truth.js';
import { simulate, type Simulation } from '../simulate.js';
import { HOUR, MINUTE } from '../traffic.js';
import { PARTNER, STOCK_READER } from './partner-feed.js';
import { CRM_SYNC, INVOICING } from './service-accounts.js';

const DAY = 24 * HOUR;
const THURSDAY = Date.UTC(2026, 10, 19);

function groupBy<K>(events: readonly ApiTransaction[], key: (e: ApiTransaction) => K): Map<K, ApiTransaction[]> {
  const groups = new Map<K, ApiTransaction[]>();
  for (const e of events) {
    const k = key(e);
    const group = groups.get(k);
    if (group) group.push(e);
    else groups.set(k, [e]);
  }
  return groups;
}
const hourOf = (e: ApiTransaction) => Math.floor(e.timestamp / HOUR) * HOUR;
const within = (p: RecurringPattern, t: number) => p.occurrences.some((o) => t >= o.start && t <= o.end);

describe('the bau scenario: days of business as usual', () => {
  let sim: Simulation;
  const pattern = (name: string) => sim.patterns.find((p) => p.name === name)!;
  beforeAll(() => {
    sim = simulate({ scenario: 'bau' });
  }, 60_000);

  it('runs five days from Thursday 00:00, Thursday to Monday, in time order, without attacks, allowing nothing outside its patterns', () => {
    expect([sim.start, sim.end]).toEqual([THURSDAY, THURSDAY + 5 * DAY]);
    expect(sim.labels).toEqual([]);
    expect(sim.allowance).toEqual({ perWeek: 0 });
    expect(sim.patterns.map((p) => p.name)).toEqual(['hourly-invoicing', 'partner-stock-feed', 'nightly-crm-sync', 'catalog-download', 'flash-sale']);
    expect(sim.events.every((e, i) => i === 0 || e.timestamp >= sim.events[i - 1]!.timestamp)).toBe(true);
    expect(new Set(sim.events.map((e) => e.id)).size).toBe(sim.events.length);
  });

  it('keeps the daily and weekly rhythm: the weekend is quieter than the weekdays around it, nights quieter than afternoons', () => {
    const perDay = [...groupBy(sim.events, (e) => Math.floor((e.timestamp - THURSDAY) / DAY)).values()].map((d) => d.length);
    expect(perDay).toHaveLength(5);
    const [thu, , sat, sun, mon] = perDay as [number, number, number, number, number];
    expect(sat / thu).toBeLessThan(0.75);
    expect(sun / mon).toBeLessThan(0.75);
    const at = (hour: number) => sim.events.filter((e) => e.timestamp >= THURSDAY + hour * HOUR && e.timestamp < THURSDAY + (hour + 1) * HOUR).length;
    expect(at(16)).toBeGreaterThan(4 * at(4));
  });

  it('has a service account read ~150 distinct orders of its own tenant, all served, within the first minute of every hour', () => {
    const jobs = groupBy(
      sim.events.filter((e) => e.principal === INVOICING.principal),
      hourOf,
    );
    expect(jobs.size).toBe(120);
    for (const [hour, calls] of jobs) {
      expect(calls.length).toBeGreaterThanOrEqual(140);
      expect(calls.length).toBeLessThanOrEqual(160);
      expect(new Set(calls.map((e) => e.path)).size).toBe(calls.length);
      for (const e of calls) {
        expect(e.timestamp - hour).toBeLessThan(MINUTE);
        expect(e).toMatchObject({ api: 'orders', route: '/orders/{id}', status: 200, userAgent: INVOICING.userAgent, tags: { tenant: INVOICING.tenant } });
      }
    }
    expect(pattern('hourly-invoicing')).toMatchObject({ api: 'orders', subject: { kind: 'principal', value: INVOICING.principal }, detectors: ['bola_enumeration', 'bot', 'burst'] });
    expect(pattern('hourly-invoicing').occurrences).toHaveLength(120);
  });

  it("has the partner's job arrive within the first minute of each hour, and nothing else of the partner's the rest of the hour", () => {
    const partner = sim.events.filter((e) => e.principal === PARTNER.principal);
    const hours = groupBy(partner, hourOf);
    expect(hours.size).toBe(120);
    for (const calls of hours.values()) expect(calls.length).toBeGreaterThanOrEqual(120);
    for (const e of partner) expect(e.timestamp % HOUR).toBeLessThan(MINUTE);
    const rest = sim.events.filter((e) => e.api === 'inventory' && e.principal !== PARTNER.principal);
    expect(rest.length).toBeGreaterThan(1_000);
    expect(new Set(rest.map((e) => e.clientIp))).toEqual(new Set([STOCK_READER.ip]));
    expect(pattern('partner-stock-feed')).toMatchObject({ api: 'inventory', detectors: ['volume_anomaly', 'burst', 'bot'] });
  });

  it('has a second service account sync a few thousand accounts over 20 minutes from 02:00 every night', () => {
    const nights = groupBy(
      sim.events.filter((e) => e.principal === CRM_SYNC.principal),
      (e) => Math.floor(e.timestamp / DAY),
    );
    expect(nights.size).toBe(5);
    for (const [day, reads] of nights) {
      expect(reads.length).toBeGreaterThanOrEqual(2_600);
      expect(reads.length).toBeLessThanOrEqual(3_400);
      expect(new Set(reads.map((e) => e.path)).size).toBe(reads.length);
      expect(reads[0]!.timestamp - (day * DAY + 2 * HOUR)).toBeLessThan(MINUTE);
      expect(reads[reads.length - 1]!.timestamp - reads[0]!.timestamp).toBeLessThanOrEqual(20 * MINUTE);
      expect(reads.filter((e) => e.status === 200).length / reads.length).toBeGreaterThan(0.98);
    }
    expect(pattern('nightly-crm-sync').detectors).toEqual(['bola_enumeration', 'bot', 'burst', 'volume_anomaly']);
  });

  it('has a popular 52 MiB download fetched a few dozen times by different users, the same size every time', () => {
    const fetches = sim.events.filter((e) => e.path === '/downloads/catalog.pdf');
    expect(fetches.length).toBeGreaterThanOrEqual(30);
    expect(fetches.length).toBeLessThanOrEqual(50);
    expect(new Set(fetches.map((e) => e.responseBytes))).toEqual(new Set([52 * 1024 * 1024]));
    expect(new Set(fetches.map((e) => e.clientIp)).size).toBe(fetches.length);
    expect(fetches.filter((e) => e.principal === undefined).length).toBeGreaterThan(0);
    expect(pattern('catalog-download')).toMatchObject({ api: 'search', detectors: ['large_response', 'response_size'] });
    expect(pattern('catalog-download').subject).toBeUndefined();
  });

  it('has one two-hour flash sale on Friday at noon with three times the usual orders traffic', () => {
    const { occurrences } = pattern('flash-sale');
    expect(occurrences).toEqual([{ start: THURSDAY + DAY + 12 * HOUR, end: THURSDAY + DAY + 14 * HOUR }]);
    const orders = (from: number) => sim.events.filter((e) => e.api === 'orders' && e.principal !== INVOICING.principal && e.timestamp >= from && e.timestamp < from + 2 * HOUR).length;
    const ratio = orders(occurrences[0]!.start) / orders(occurrences[0]!.start - DAY);
    expect(ratio).toBeGreaterThan(2.6);
    expect(ratio).toBeLessThan(3.4);
    expect(pattern('flash-sale').detectors).toEqual(['volume_anomaly']);
  });

  it("puts each pattern's calls inside its occurrences", () => {
    const owners: [string, (e: ApiTransaction) => boolean][] = [
      ['hourly-invoicing', (e) => e.principal === INVOICING.principal],
      ['partner-stock-feed', (e) => e.principal === PARTNER.principal],
      ['nightly-crm-sync', (e) => e.principal === CRM_SYNC.principal],
      ['catalog-download', (e) => e.path === '/downloads/catalog.pdf'],
    ];
    for (const [name, owns] of owners) {
      const p = pattern(name);
      const outside = sim.events.filter(owns).filter((e) => !within(p, e.timestamp));
      expect(outside, name).toEqual([]);
    }
  });

  it('is the same for the same seed and differs for another', () => {
    const a = simulate({ scenario: 'bau', hours: 3 });
    expect(simulate({ scenario: 'bau', hours: 3 })).toEqual(a);
    expect(simulate({ scenario: 'bau', hours: 3, seed: 8 }).events.length).not.toBe(a.events.length);
  });
});
