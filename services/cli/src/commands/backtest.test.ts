import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { severityRank, toWireJson, transactionContract, type ApiTransaction, type Finding } from '@vigil/contracts';
import { background, cleanDay, tx, T0, HOUR, MINUTE } from '../../../../libs/detectors/src/testing.js';
import { simulate } from '@vigil/simulator';
import { backtest } from './backtest.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-backtest-'));
function ndjson(name: string, events: ApiTransaction[], gzip = false): string {
  const text = events.map((e) => JSON.stringify(toWireJson(transactionContract, e))).join('\n') + '\n';
  const path = join(dir, name);
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

async function run(input: string, extra: Partial<Parameters<typeof backtest>[0]> = {}) {
  const findings: Finding[] = [];
  const warnings: string[] = [];
  const summary = await backtest({ inputs: [input], batchSize: 500, ...extra }, (line) => findings.push(JSON.parse(line) as Finding), (w) => warnings.push(w));
  return { findings, warnings, summary };
}

describe('vigil backtest', () => {
  // Batches of 10 judge the route windows every few seconds of event time, as often as a live detector at this rate:
  // with the p95 of a quiet route's window moved by two chance outliers, latency_degradation fired on both seeds.
  it.each([
    { seed: 2026, batchSize: 500 },
    { seed: 2026, batchSize: 10 },
    { seed: 5, batchSize: 500 },
    { seed: 5, batchSize: 10 },
  ])('a clean simulated day (several APIs, hundreds of clients, daily seasonality) yields no finding above low (seed $seed, batches of $batchSize)', async ({ seed, batchSize }) => {
    const day = cleanDay({ hours: 30, clients: 400, peakPerMinute: 60, seed });
    expect(day.length).toBeGreaterThan(20_000);
    expect(new Set(day.map((e) => e.api)).size).toBeGreaterThanOrEqual(5);
    const { findings, summary } = await run(ndjson(`clean-day-${seed}.ndjson.gz`, day, true), { batchSize });
    expect(summary.events).toBe(day.length);
    const loud = findings.filter((f) => severityRank(f.severity) > severityRank('low'));
    expect(loud.map((f) => `${f.detector} ${f.severity} ${f.title}`)).toEqual([]);
  }, 60_000);

  // The simulator's clean day on seed 4: in the night's ramp down, a quiet minute of orders against the median of the
  // three hours before (21/min, the latest hour 15/min) was a medium volume drop.
  it('the simulator\'s clean day (seed 4) yields no finding above low in batches of 25', async () => {
    const { events } = simulate({ scenario: 'clean-day', seed: 4 });
    const { findings, summary } = await run(ndjson('sim-clean-day-4.ndjson', events), { batchSize: 25 });
    expect(summary.events).toBe(events.length);
    const loud = findings.filter((f) => severityRank(f.severity) > severityRank('low'));
    expect(loud.map((f) => `${f.detector} ${f.severity} ${f.title}`)).toEqual([]);
  }, 120_000);

  it('finds an enumeration, reports bad lines, and summarises', async () => {
    const events: ApiTransaction[] = [];
    for (let i = 0; i < 60; i++) events.push(tx({ id: `e${i}`, timestamp: T0 + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory', status: 403 }));
    const path = join(dir, 'attack.ndjson');
    writeFileSync(path, `${events.map((e) => JSON.stringify(toWireJson(transactionContract, e))).join('\n')}\n{"id": "broken"\n\n{"id":"x","timestamp":"${new Date(T0 + MINUTE).toISOString()}","direction":"inbound","api":"a","method":"GET","path":"/","status":"200","latencyMs":1}\n`);
    const { findings, warnings, summary } = await run(path);
    expect(findings.map((f) => f.detector)).toContain('bola_enumeration');
    expect(summary).toMatchObject({ events: 60, rejected: 2, findings: findings.length });
    expect(summary.byDetector.bola_enumeration).toBe(1);
    expect(warnings[0]).toMatch(/^line 61: VIGIL_DECODE_JSON_SYNTAX: not valid JSON/);
    expect(warnings[1]).toMatch(/^line 63: VIGIL_VALIDATION: status: expected an integer/);
  });

  it('reads thresholds from --config and known threats from --threats', async () => {
    const cfg = join(dir, 'vigil.yaml');
    writeFileSync(cfg, 'detectors:\n  bola_enumeration:\n    minDistinctIds: 100\n    slowMinDistinctIds: 100\n');
    const threats = join(dir, 'threats.yaml');
    writeFileSync(threats, 'cidrs:\n  - { value: 203.0.113.0/24, reason: botnet }\n');
    const events = Array.from({ length: 60 }, (_, i) => tx({ id: `c${i}`, timestamp: T0 + i * 1000, path: `/users/${i + 1}/account`, principal: 'mallory', clientIp: '203.0.113.5', status: 403 }));
    const { findings } = await run(ndjson('cfg.ndjson', events), { config: cfg, threats });
    expect(findings.map((f) => f.detector)).not.toContain('bola_enumeration');
    expect(findings.find((f) => f.detector === 'known_threat')?.subject).toEqual({ kind: 'ip', value: '203.0.113.5' });
  });

  it('counts a batch spanning more than --slice-ms in slices, finding what small batches find', async () => {
    // Two warm-up hours of a route, its responses 10x for 10 minutes from AT, then 35 normal minutes: 3,300 events.
    const AT = T0 + 2 * HOUR;
    const events = background({ from: T0, to: AT + 45 * MINUTE, perMinute: 20, seed: 31, shape: (e) => (e.timestamp >= AT && e.timestamp < AT + 10 * MINUTE ? { ...e, responseBytes: e.responseBytes! * 10 } : e) }).sort(
      (a, b) => a.timestamp - b.timestamp,
    );
    const input = ndjson('backlog.ndjson', events);
    const responseSize = (findings: Finding[]) => findings.filter((f) => f.detector === 'response_size').map((f) => f.id);
    // Batches of 60 events span 3 minutes: nothing is sliced.
    const live = responseSize((await run(input, { batchSize: 60 })).findings);
    expect(live).toHaveLength(1);
    // The last batch runs from AT - 5 min to AT + 45 min: in slices (the default, 60 s), the same finding.
    expect(responseSize((await run(input, { batchSize: 2300 })).findings)).toEqual(live);
    // Judged once at its end, the 10x minutes have left the window.
    expect(responseSize((await run(input, { batchSize: 2300, sliceMs: 0 })).findings)).toEqual([]);
  });

  it('refuses a config with a bad threshold, naming it', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'detectors:\n  burst:\n    minRatio: -1\n');
    await expect(run(ndjson('x.ndjson', [tx()]), { config: cfg })).rejects.toThrow(/detectors\.burst\.minRatio/);
  });
});
