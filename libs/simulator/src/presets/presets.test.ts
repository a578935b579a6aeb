import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../random.js';
import { HOUR, MINUTE } from '../traffic.js';
import { benchTraffic, cleanDay, steadyTraffic } from './index.js';

/**
 * The presets took over the generators of libs/detectors/src/testing.ts
 * (`rng`, `background`, `cleanDay`) and bench/src/traffic.ts (`benchTraffic`),
 * which many tests assert exact figures on. Each digest below was computed
 * from the old generators with the same arguments: the sha256 of the events
 * as lists of [field, value] (field order and fields present but undefined
 * count). A preset that draws one number more, or in another order, fails.
 */
const T0 = Date.UTC(2026, 10, 23);

const digest = (values: readonly unknown[]) =>
  createHash('sha256')
    .update(JSON.stringify(values.map((v) => (typeof v === 'object' && v !== null ? Object.entries(v) : v))))
    .digest('hex');

function take<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

const cases: { name: string; make: () => readonly unknown[]; count: number; sha256: string }[] = [
  {
    name: 'steadyTraffic with its defaults (seed 7)',
    make: () => steadyTraffic({ from: T0, to: T0 + 2 * HOUR, perMinute: 20 }),
    count: 2400,
    sha256: '20697bd1aa2bf40b2cbf1742004b425308b9456d15cf56c389cb185143af298d',
  },
  {
    name: 'steadyTraffic with every option, its callbacks drawing from the same source',
    make: () =>
      steadyTraffic({
        from: T0 + 5 * MINUTE,
        to: T0 + 3 * HOUR,
        perMinute: 35,
        api: 'payments',
        route: '/v1/charges/{id}',
        path: (i, r) => `/v1/charges/${i}-${Math.floor(r() * 100)}`,
        direction: 'outbound',
        users: 40,
        seed: 13,
        shape: (e, r, i) => ({ ...e, latencyMs: e.latencyMs * (1 + r()), status: i % 50 === 0 ? 503 : e.status }),
      }),
    count: 6125,
    sha256: 'de5ec3648d034a8f41dff51b0ab51233bd8525cbbb68ee1372cffbfbc14b99c1',
  },
  { name: 'cleanDay with its defaults', make: () => cleanDay(), count: 32_155, sha256: 'e46d16aa1499d8fc67514bdf59609248d44c9171415fd8a97600c3653bc7bebf' },
  {
    name: 'cleanDay with every option',
    make: () => cleanDay({ start: T0 + 6 * HOUR, hours: 5, peakPerMinute: 150, clients: 90, seed: 11 }),
    count: 6356,
    sha256: 'cbf04bbe469951f203921fb0e8ed75f337833085d8964f741628912c7c103f45',
  },
  { name: 'benchTraffic with its defaults', make: () => [...benchTraffic(5000)], count: 5000, sha256: '014954056e9f062aef464d00929683280fe25a7c85570cae4e27345a100ed24d' },
  {
    name: "benchTraffic as the soak draws it (endless, from 0, 5,000 a second, the run's seed)",
    make: () => take(benchTraffic(Number.POSITIVE_INFINITY, 0, 5000, 0x2b7f), 20_000),
    count: 20_000,
    sha256: '7380114e9afe9240d41e82ef38693d45ee7fa8e522ea5633f34011b88ea4e856',
  },
  {
    name: "createRandom(seed).next, testing.ts's rng",
    make: () => {
      const r = createRandom(42).next;
      return Array.from({ length: 2000 }, () => r());
    },
    count: 2000,
    sha256: 'd5ac87cc0a39460ae637a0133c0007b2c124646c99e538d1cb84ded66e71b872',
  },
];

describe('the traffic presets', () => {
  it.each(cases)('$name: the same events as the generator it replaced', ({ make, count, sha256 }) => {
    const events = make();
    expect(events).toHaveLength(count);
    expect(digest(events)).toBe(sha256);
  });

  it('differ between seeds', () => {
    expect(digest(steadyTraffic({ from: T0, to: T0 + HOUR, perMinute: 20, seed: 8 }))).not.toBe(digest(steadyTraffic({ from: T0, to: T0 + HOUR, perMinute: 20 })));
    expect(digest(cleanDay({ hours: 2, seed: 1 }))).not.toBe(digest(cleanDay({ hours: 2 })));
  });
});
