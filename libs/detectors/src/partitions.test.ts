import { describe, expect, it } from 'vitest';
import type { ApiTransaction, Finding } from '@vigil/contracts';
import { MemoryStateStore } from '@vigil/state';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine } from './engine.js';
import { background, HOUR, MINUTE, T0, tx } from './testing.js';

/**
 * One process consumes several partitions, and they do not move in step: a
 * batch of one partition may carry event time hours past another's (a
 * backlog, a partition taken over from a dead replica). A subject lives in
 * one partition; what it has counted must not depend on how far the other
 * partitions have gone.
 */

const SCRAPER = '198.18.0.77';

/** Ordinary search traffic for eight hours (so the api's baselines are warm), and a scraper at 85 calls a minute for six minutes, three hours in. */
function traffic(): { mine: ApiTransaction[]; others: ApiTransaction[] } {
  const bg = background({ from: T0, to: T0 + 8 * HOUR, perMinute: 40, api: 'search', route: '/search', path: () => '/search', users: 400 });
  const at = T0 + 3 * HOUR;
  const scraper = Array.from({ length: 500 }, (_, i) =>
    tx({ id: `scrape-${i}`, timestamp: at + i * 700, api: 'search', path: `/categories/c${i % 24}`, route: `/categories/c${i % 24}`, clientIp: SCRAPER, userAgent: 'python-requests/2.32.3', principal: undefined }),
  );
  // Two partitions by user: the scraper's and half of the users in one, the other half in the other.
  const mine = [...scraper, ...bg.filter((e) => Number(e.principal!.slice(5)) % 2 === 0)].sort((a, b) => a.timestamp - b.timestamp);
  const others = bg.filter((e) => Number(e.principal!.slice(5)) % 2 === 1);
  return { mine, others };
}

async function run(batches: readonly (readonly ApiTransaction[])[]): Promise<Finding[]> {
  const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({}), store: new MemoryStateStore() });
  const findings: Finding[] = [];
  for (const batch of batches) {
    const out = await engine.process(batch);
    await engine.markPublished(out.findings);
    findings.push(...out.findings);
  }
  return findings;
}

const chunks = (events: readonly ApiTransaction[], size: number) => Array.from({ length: Math.ceil(events.length / size) }, (_, i) => events.slice(i * size, (i + 1) * size));
const before = (events: readonly ApiTransaction[], t: number) => events.filter((e) => e.timestamp < t);
const from = (events: readonly ApiTransaction[], t: number) => events.filter((e) => e.timestamp >= t);
const scraperFindings = (findings: readonly Finding[]) =>
  findings
    .filter((f) => f.subject.value === SCRAPER)
    .map((f) => `${f.detector} ${new Date(f.windowStart).toISOString()}`)
    .sort();

describe('partitions that do not move in step', () => {
  it("a subject's windows keep their counts while another partition runs hours ahead", async () => {
    const { mine, others } = traffic();
    const mid = T0 + 3 * HOUR + 3 * MINUTE;
    // In step: each partition's batches in turn, both at the same event time.
    const inStep = await run(chunks([...mine, ...others].sort((a, b) => a.timestamp - b.timestamp), 500));
    // Out of step: the other partition's next five hours arrive between two batches of the scraper's partition.
    const outOfStep = await run([...chunks(before(others, T0 + 3 * HOUR), 500), ...chunks(before(mine, mid), 500), ...chunks(from(others, T0 + 3 * HOUR), 2000), ...chunks(from(mine, mid), 500)]);
    expect(scraperFindings(inStep)).toContain(`bot ${new Date(T0 + 3 * HOUR).toISOString()}`);
    expect(scraperFindings(outOfStep)).toEqual(scraperFindings(inStep));
  });
});
