import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toWireJson, transactionContract, type ApiTransaction, type Finding } from '@vigil/contracts';
import { backtest } from '../../services/cli/src/commands/backtest.js';
import { DEFAULT_SLICE_MS, MAX_SLICES, sliceBounds } from '../../libs/detectors/src/engine.js';
import { background, cleanDay, tx, HOUR, MINUTE, T0 } from '../../libs/detectors/src/testing.js';
import { stackEnv, uniqueName } from '../support/helpers.js';

/** Several hours of ordinary traffic with a few attacks in it. */
function mixedTraffic(): ApiTransaction[] {
  const events = cleanDay({ hours: 4, clients: 200, peakPerMinute: 40, seed: 99 });
  const at = T0 + 3 * HOUR;
  for (let i = 0; i < 90; i++) events.push(tx({ id: `bola-${i}`, timestamp: at + i * 1200, path: `/users/${7000 + i}/account`, route: '/users/{id}/account', api: 'accounts', principal: 'mallory', status: i % 4 ? 403 : 200 }));
  for (let i = 0; i < 150; i++) events.push(tx({ id: `burst-${i}`, timestamp: at + 20 * MINUTE + i * 300, api: 'search', path: '/search', route: '/search', clientIp: '192.0.2.200', userAgent: 'python-requests/2.32' }));
  for (let i = 0; i < 40; i++) events.push(tx({ id: `cs-${i}`, timestamp: at + 40 * MINUTE + i * 2000, api: 'auth', method: 'POST', path: '/login', route: '/login', clientIp: '198.51.100.250', principal: `victim-${i}`, status: 401 }));
  events.push(...background({ from: at + 50 * MINUTE, to: at + 52 * MINUTE, perMinute: 5, api: 'exports', route: '/exports/{id}', seed: 5, shape: (e, _r, i) => ({ ...e, responseBytes: i === 3 ? 90 * 1024 * 1024 : e.responseBytes }) }));
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

describe('vigil backtest: in-memory and Redis state give identical findings', () => {
  it('the same events yield the same findings, field for field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-parity-'));
    const input = join(dir, 'mixed.ndjson');
    writeFileSync(input, mixedTraffic().map((e) => JSON.stringify(toWireJson(transactionContract, e))).join('\n'));

    const collect = async (redis?: string, sliceMs?: number) => {
      const findings: Finding[] = [];
      const summary = await backtest({ input, batchSize: 500, sliceMs, redis, redisPrefix: uniqueName('parity').slice(0, 32) }, (l) => findings.push(JSON.parse(l) as Finding), () => undefined);
      return { findings, summary };
    };
    const memory = await collect();
    const redis = await collect(stackEnv().REDIS_URL);
    expect(memory.findings.length).toBeGreaterThanOrEqual(3);
    expect(new Set(memory.findings.map((f) => f.detector)).size).toBeGreaterThanOrEqual(3);
    expect(redis.findings).toEqual(memory.findings);
    expect(redis.summary.redisRoundTrips).toBeGreaterThan(0);
    // A few round trips per batch, or per slice of one (at 40 calls a minute at most, 500 events span over ten minutes
    // of event time, cut into minutes: --slice-ms): one state apply, plus the threats-version check, plus claims when
    // there are findings.
    const events = mixedTraffic();
    let slices = 0;
    for (let i = 0; i < events.length; i += 500) slices += (sliceBounds(events.slice(i, i + 500), DEFAULT_SLICE_MS, MAX_SLICES)?.length ?? 2) - 1; // [0, cuts…, length]
    expect(slices).toBeGreaterThan(events.length / 500);
    expect(redis.summary.redisRoundTrips).toBeLessThanOrEqual(4 * slices);
    // Not sliced: a few round trips per batch of 500.
    const unsliced = await collect(stackEnv().REDIS_URL, 0);
    expect(unsliced.summary.redisRoundTrips / unsliced.summary.events).toBeLessThan(0.05);
  }, 120_000);
});
