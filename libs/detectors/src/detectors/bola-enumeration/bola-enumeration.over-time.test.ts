import { severityRank, type ApiTransaction, type Finding } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, T0, background, detect, latest, only, rng, tx } from '../../testing.js';
import { bolaEnumeration } from './index.js';

/**
 * bola_enumeration over time: wherever an enumeration falls relative to the
 * clock, however slowly it goes, and against a subject's own recurring work.
 */
const detectors = [bolaEnumeration];
const ROUTE = '/users/{id}/account';
const atLeastMedium = (f: Finding) => severityRank(f.severity) >= severityRank('medium');

/** Reads by `principal` of `ids` on /users/{id}/<leaf>, the i-th at `at(i)`. */
function reads(principal: string, ids: readonly (string | number)[], at: (i: number) => number, o: { status?: number; leaf?: string; ip?: string } = {}): ApiTransaction[] {
  return ids.map((id, i) =>
    tx({ id: `r-${principal}-${o.leaf ?? 'account'}-${at(i)}-${i}`, timestamp: at(i), path: `/users/${id}/${o.leaf ?? 'account'}`, status: o.status ?? 200, principal, clientIp: o.ip ?? '203.0.113.50' }),
  );
}

const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

/** Ordinary users of the route: each reads one or two of its own accounts now and then (the route's peers). */
function peers(from: number, to: number, seed = 11): ApiTransaction[] {
  const r = rng(seed);
  const out: ApiTransaction[] = [];
  for (let t = from; t < to; t += 20_000) {
    const u = Math.floor(r() * 300);
    out.push(tx({ id: `peer-${t}`, timestamp: t, path: `/users/${50_000 + u}/account`, principal: `user-${u}`, clientIp: `10.2.${u >> 8}.${u & 255}` }));
  }
  return out;
}

describe('bola_enumeration over time', () => {
  it('finds 50 ids read in 50 s wherever they fall relative to the window clock (every 5-second offset across a whole window)', async () => {
    const windowMs = 120_000;
    const misses: number[] = [];
    for (let offset = 0; offset < windowMs; offset += 5_000) {
      const start = T0 + 10 * MINUTE + offset;
      const events = [...background({ from: T0, to: T0 + 15 * MINUTE, perMinute: 20 }), ...reads('mallory', range(7000, 50), (i) => start + i * 1_000)];
      // Batches of several sizes: where they fall must not matter either.
      const found = latest(only(await detect(events, { detectors, batchSize: [25, 130, 5_000][offset % 3] }), 'bola_enumeration')).filter((f) => f.subject.value === 'mallory');
      if (found.length !== 1 || found[0]!.severity !== 'critical' || found[0]!.windowStart > start || found[0]!.windowStart < start - 10_000) misses.push(offset);
    }
    expect(misses).toEqual([]);
  });

  it('finds a slow enumeration: 60 foreign ids, one every 30 to 60 s, within 30 minutes of its start', async () => {
    const start = T0 + 3 * HOUR;
    const r = rng(5);
    let t = start;
    const times = range(0, 60).map((i) => (i === 0 ? t : (t += 30_000 + Math.floor(r() * 30_000))));
    const events = [...background({ from: T0, to: start + 90 * MINUTE, perMinute: 20 }), ...peers(T0, start + 90 * MINUTE), ...reads('mallory', range(90_000, 60), (i) => times[i]!)];
    const found = only(await detect(events, { detectors, batchSize: 100 }), 'bola_enumeration').filter((f) => f.subject.value === 'mallory');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.detectedAt - start).toBeLessThanOrEqual(30 * MINUTE);
    expect(atLeastMedium(found[0]!)).toBe(true);
    expect(found[0]!.evidence.windowMs).toBe(30 * MINUTE);
  });

  it('finds 120 foreign ids read one every ~45 s over 90 minutes by a principal whose own history is a handful of ids an hour', async () => {
    const start = T0 + 4 * HOUR;
    const own = range(0, 4).flatMap((h) => reads('peggy', [80_001, 80_002, 80_003], (i) => T0 + h * HOUR + 10 * MINUTE + i * 60_000));
    const r = rng(8);
    const slow = reads('peggy', range(10_000, 120), (i) => start + i * 45_000 + Math.floor(r() * 10_000));
    const events = [...background({ from: T0, to: start + 2 * HOUR, perMinute: 20 }), ...peers(T0, start + 2 * HOUR), ...own, ...slow];
    const all = only(await detect(events, { detectors, batchSize: 100 }), 'bola_enumeration').filter((f) => f.subject.value === 'peggy');
    expect(latest(all).map((f) => f.severity)).toEqual(['critical']);
    expect(all[0]!.detectedAt - start).toBeLessThanOrEqual(30 * MINUTE);
  });

  describe('a service account whose job reads the same 150 objects of its tenant at the top of every hour', () => {
    const HOURS = 24;
    const tenant = range(40_000, 150);
    const job = (h: number, ids: readonly number[] = tenant, leaf = 'account') => reads('svc-batch', ids, (i) => T0 + h * HOUR + Math.floor(i * 380), { ip: '10.9.0.5', leaf });
    const day = [...background({ from: T0, to: T0 + (HOURS + 1) * HOUR, perMinute: 10 }), ...range(0, HOURS).flatMap((h) => job(h))];
    let run: Promise<Finding[]> | undefined;
    const ofDay = () => (run ??= detect(day, { detectors, batchSize: 200 }).then((fs) => latest(only(fs, 'bola_enumeration')).filter((f) => f.subject.value === 'svc-batch')));

    it('alerts at most once above low over 24 hours; later runs are low, and say why', async () => {
      const found = await ofDay();
      expect(found.filter(atLeastMedium).length).toBeLessThanOrEqual(1);
      const usual = found.filter((f) => f.evidence.usual !== undefined);
      expect(usual.length).toBeGreaterThan(HOURS / 2);
      expect(usual.every((f) => f.severity === 'low' && f.evidence.demotedFrom === 'critical')).toBe(true);
      expect(String(usual.at(-1)!.evidence.usual)).toMatch(/^~150 at :00 every hour, seen \d+ times before$/);
      expect(Number(usual.at(-1)!.evidence.recurrences)).toBeGreaterThan(10);
    });

    it('still finds the same principal reading another route, or five times its count', async () => {
      const after = T0 + HOURS * HOUR;
      const otherRoute = latest(only(await detect([...day, ...job(HOURS, tenant, 'invoices')], { detectors, batchSize: 200 }), 'bola_enumeration'));
      expect(otherRoute.filter((f) => f.windowStart >= after && f.route === '/users/{id}/invoices').map((f) => f.severity)).toEqual(['critical']);
      const fiveTimes = latest(only(await detect([...day, ...job(HOURS, range(40_000, 750))], { detectors, batchSize: 200 }), 'bola_enumeration'));
      const fifth = fiveTimes.filter((f) => f.windowStart >= after && f.route === ROUTE);
      expect(fifth.map((f) => f.severity)).toEqual(['critical']);
      expect(fifth[0]!.evidence.changeFromUsual).toBeDefined();
    });

    it('never learns it when a verdict confirmed it (true positive), and learns it at once from a false positive', async () => {
      const confirmed = latest(only(await detect(day.filter((e) => e.timestamp < T0 + 6 * HOUR), { detectors, batchSize: 200, verdictOf: () => 'true_positive' }), 'bola_enumeration'));
      expect(confirmed.filter((f) => f.subject.value === 'svc-batch').map((f) => f.severity)).toEqual(new Array(6).fill('critical'));
      // An irregular job (no rhythm to learn from): a false-positive verdict on it makes its next run usual.
      const irregular = [...background({ from: T0, to: T0 + 8 * HOUR, perMinute: 10 }), ...job(1), ...reads('svc-batch', tenant, (i) => T0 + 4 * HOUR + 23 * MINUTE + i * 380, { ip: '10.9.0.5' })];
      const without = latest(only(await detect(irregular, { detectors, batchSize: 200 }), 'bola_enumeration'));
      expect(without.map((f) => f.severity)).toEqual(['critical', 'critical']);
      const taught = latest(only(await detect(irregular, { detectors, batchSize: 200, verdictOf: (d) => (d.subject.value === 'svc-batch' ? 'false_positive' : undefined) }), 'bola_enumeration'));
      expect(taught.map((f) => f.severity)).toEqual(['critical', 'low']);
      expect(taught[1]!.evidence.usual).toMatch(/as taught by a false-positive verdict/);
    });
  });

  it('never lets an attacker that grows slowly make 500 new ids an hour usual within a day', async () => {
    // 40 new ids at :00 of the first hour, 12% more every hour: past 500 in the 23rd hour.
    const counts = range(0, 24).map((h) => Math.round(40 * 1.12 ** h));
    expect(counts.at(-1)).toBeGreaterThan(500);
    let next = 100_000;
    const attack = counts.flatMap((n, h) => reads('mallory', range((next += n) - n, n), (i) => T0 + h * HOUR + Math.floor((i * 50_000) / n)));
    const found = latest(only(await detect([...background({ from: T0, to: T0 + 25 * HOUR, perMinute: 10 }), ...attack], { detectors, batchSize: 200 }), 'bola_enumeration'));
    const last = found.filter((f) => f.windowStart >= T0 + 23 * HOUR);
    expect(last.length).toBeGreaterThan(0);
    expect(last.every((f) => f.severity === 'critical' && f.evidence.usual === undefined)).toBe(true);
  });
});
