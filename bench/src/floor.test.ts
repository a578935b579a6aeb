import { describe, expect, it } from 'vitest';
import { benchTraffic } from '@vigil/simulator';
import { createFloorCounter, floorMode } from './floor.js';

describe('the floor diagnostic (BENCH_FLOOR)', () => {
  it('counts every route of every api, and every acting subject of inbound calls, as the engine names them', () => {
    const counter = createFloorCounter();
    const routes = new Set<string>();
    const subjects = new Set<string>();
    for (const event of benchTraffic(5_000)) {
      const e = counter.enrich(event);
      counter.count(e);
      routes.add(`${e.api} ${e.route}`);
      const who = e.principal ?? e.clientIp ?? e.clientId;
      if (e.direction === 'inbound' && who !== undefined) subjects.add(`${e.api} ${who}`);
    }
    expect(routes.size).toBeGreaterThan(5);
    expect(subjects.size).toBeGreaterThan(100);
    expect(counter.size()).toEqual({ routes: routes.size, subjects: subjects.size });
  });

  it('takes decode, count or sorted, and refuses anything else by name', () => {
    expect(floorMode(undefined)).toBeUndefined();
    expect(floorMode('')).toBeUndefined();
    for (const mode of ['decode', 'count', 'sorted'] as const) expect(floorMode(mode)).toBe(mode);
    expect(() => floorMode('fast')).toThrow(/BENCH_FLOOR is fast: use decode, count or sorted/);
  });
});
