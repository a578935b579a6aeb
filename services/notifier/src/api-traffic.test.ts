import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hourBaseline, type TrafficReader } from './api-traffic.js';
import { stubbedApi } from './api.testing.js';

const HOUR = 3_600_000;

describe('an hour’s baseline', () => {
  it('rests on the same hour of earlier days when any was counted, per minute', () => {
    expect(hourBaseline(100, [600, null, 1200], [6000])).toEqual({ hour: 100 * HOUR, perMinute: 15, basis: 'same_hour' });
  });
  it('falls back to the hours before, then to none', () => {
    expect(hourBaseline(100, [null, null], [120, null, 240])).toEqual({ hour: 100 * HOUR, perMinute: 3, basis: 'recent_hours' });
    expect(hourBaseline(100, [null], [null])).toEqual({ hour: 100 * HOUR, perMinute: null, basis: 'none' });
  });
});

describe('GET /traffic/{api}', () => {
  const token = 'operator-token-0123456789';
  const now = Date.UTC(2026, 10, 23, 10, 0, 0);
  const asked: [string, string, number, number][] = [];
  const traffic: TrafficReader = (api, direction, from, to) => (asked.push([api, direction, from, to]), Promise.resolve({ api, direction, from, to, minutes: [], baseline: [] }));
  const api = stubbedApi('api-traffic-test', { token, traffic, clock: () => now });
  let base = '';
  beforeAll(async () => {
    base = `http://127.0.0.1:${(await api.listen(0)).port}`;
  });
  afterAll(() => api.close());
  const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('reads the 2 hours up to now by default, inbound, the api decoded from the path', async () => {
    expect((await get('/traffic/my%20api')).status).toBe(200);
    expect(asked.at(-1)).toEqual(['my api', 'inbound', now - 2 * HOUR, now]);
    expect((await get('/traffic/pay?direction=outbound&from=2026-11-23T08:00:00Z&to=2026-11-23T09:30:00Z')).status).toBe(200);
    expect(asked.at(-1)).toEqual(['pay', 'outbound', now - 2 * HOUR, now - HOUR / 2]);
  });

  it('answers bad parameters 400 without reading', async () => {
    const before = asked.length;
    const cases: [string, string][] = [
      ['/traffic/a?direction=up', 'direction must be one of inbound, outbound'],
      ['/traffic/a?from=noon', 'from must be an RFC 3339 time'],
      ['/traffic/a?from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z', 'from must not be after to'],
      ['/traffic/a?from=2026-11-23T00:00:00Z&to=2026-11-23T09:00:00Z', 'at most 6 hours apart'],
      [`/traffic/${'a'.repeat(257)}`, 'api must be 1 to 256 characters'],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain(message);
    }
    expect(asked.length).toBe(before);
  });
});
