import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Finding } from '@vigil/contracts';
import { createThreatMatcher, DEFAULT_SLICE_MS, DetectionEngine, detectorsConfigSchema } from '@vigil/detectors';
import { simulate, dayScenarioNames } from '@vigil/simulator';
import { scanKeys, type RedisClient } from '@vigil/redis';
import type { StateStore } from '@vigil/state';

/**
 * The engine's golden outputs: every simulator scenario, run through the
 * engine as the detector service runs it (batches in the topic's order, with
 * their offsets, counted in slices of a minute), its findings in the order
 * they were published. The fixtures were written by the engine of the commit
 * before a change that must not change behaviour; a run of today's engine
 * must give the same findings, to the last field.
 *
 * Regenerate (only for a change that is meant to change findings, with the
 * reason in its commit): `VIGIL_GOLDEN_WRITE=1 npx vitest run --project
 * integration-golden test/integration/golden-memory.test.ts`.
 */

export const GOLDEN_SEEDS = [1, 2, 3] as const;
export const GOLDEN_BATCH_SIZES = [25, 500, 5000] as const;
/** Seed 1 runs the scenarios' own traffic; the other seeds a smaller background (half the clients and sessions), to keep the suite's time. */
const LIGHT = { clients: 400, peakSessionsPerMinute: 20 };

export interface GoldenCase {
  scenario: string;
  seed: number;
  batchSize: number;
}

/** What a case yields: every finding published, and how many were not published again (their window already was). */
export interface GoldenRun {
  findings: Finding[];
  duplicates: number;
}

/** The single-day scenarios the fixtures hold (the long runs, days of traffic, are the scoreboard's: npm run eval). */
export const goldenScenarios: readonly string[] = dayScenarioNames;

export function caseName(c: GoldenCase): string {
  return `${c.scenario}/seed-${c.seed}/batch-${c.batchSize}`;
}

/** Runs one case through a new engine over `store`. */
export async function runGoldenCase(c: GoldenCase, store: StateStore): Promise<GoldenRun> {
  const sim = simulate({ scenario: c.scenario, seed: c.seed, ...(c.seed === 1 ? {} : LIGHT) });
  const engine = new DetectionEngine({
    config: detectorsConfigSchema.parse({}),
    store,
    loadThreats: async () => createThreatMatcher(sim.threats),
    sliceMs: DEFAULT_SLICE_MS,
  });
  const run: GoldenRun = { findings: [], duplicates: 0 };
  for (let from = 0; from < sim.events.length; from += c.batchSize) {
    const batch = sim.events.slice(from, from + c.batchSize);
    const offsets = batch.map((_, i) => from + i);
    const outcome = await engine.process(batch, { source: { key: 'golden/0', offsets, highWatermark: sim.events.length } });
    await engine.markPublished(outcome.findings);
    run.findings.push(...outcome.findings);
    run.duplicates += outcome.duplicates;
    // The in-memory store answers without I/O: let the test runner's own messages through now and then.
    if ((from / c.batchSize) % 200 === 199) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return run;
}

const fixtureDir = new URL('./fixtures/', import.meta.url);
const fixtureOf = (seed: number) => new URL(`seed-${seed}.json.gz`, fixtureDir);

/** The fixture of a seed: per case name (scenario and batch size), its run. */
export function readGolden(seed: number): Record<string, GoldenRun> {
  return JSON.parse(gunzipSync(readFileSync(fixtureOf(seed))).toString('utf8')) as Record<string, GoldenRun>;
}

export function writeGolden(seed: number, runs: Record<string, GoldenRun>): void {
  if (!existsSync(fixtureDir)) mkdirSync(fixtureDir, { recursive: true });
  // Sorted keys and one finding a line: a diff of two fixtures reads finding by finding.
  const cases = Object.keys(runs).sort();
  const text = `{\n${cases.map((name) => `${JSON.stringify(name)}: {"duplicates": ${runs[name]!.duplicates}, "findings": [\n${runs[name]!.findings.map((f) => JSON.stringify(f)).join(',\n')}\n]}`).join(',\n')}\n}\n`;
  writeFileSync(fixtureOf(seed), gzipSync(text, { level: 9 }));
}

/** True when this run writes the fixtures instead of comparing with them. */
export const writingGolden = process.env.VIGIL_GOLDEN_WRITE === '1';

/**
 * A digest of everything a run left in Redis under `prefix`: every key (without the prefix), its type and its
 * value (hash fields and set members sorted), not its TTL (wall clock). Two engines that write the same keys
 * and values give the same digest.
 */
export async function stateDigest(redis: RedisClient, prefix: string): Promise<string> {
  const keys = (await scanKeys(redis, `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`)).sort();
  const hash = createHash('sha256');
  for (const key of keys) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'hash') value = Object.entries(await redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'string') value = await redis.get(key);
    else value = type;
    hash.update(JSON.stringify([key.slice(prefix.length), type, value]));
    hash.update('\n');
  }
  return `${keys.length}:${hash.digest('base64url')}`;
}

const stateFixture = new URL('redis-state.json', fixtureDir);

/** The state digests of the Redis runs, per case name. */
export function readStateDigests(): Record<string, string> {
  return JSON.parse(readFileSync(stateFixture, 'utf8')) as Record<string, string>;
}

export function writeStateDigests(digests: Record<string, string>): void {
  writeFileSync(stateFixture, `${JSON.stringify(digests, Object.keys(digests).sort(), 2)}\n`);
}
