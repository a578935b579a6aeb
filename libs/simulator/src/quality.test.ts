import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { DetectionEngine, createThreatMatcher, detectorsConfigSchema, parseThreatsDocument } from '@vigil/detectors';
import { MemoryStateStore } from '@vigil/state';
import { qualityProblems, scoreboard, scoreScenario, type ScenarioScore } from './score.js';
import { dayScenarioNames, simulate } from './simulate.js';

/** The same engine `vigil backtest` runs, in memory, in batches of 25 (what npm run eval uses). */
async function detect(name: string): Promise<{ findings: Finding[]; score: ScenarioScore; hours: number }> {
  const sim = simulate({ scenario: name });
  const threats = sim.threats.length > 0 ? createThreatMatcher(parseThreatsDocument({ entries: sim.threats })) : undefined;
  const engine = new DetectionEngine({ config: detectorsConfigSchema.parse({ inventory: { specs: specFiles(sim.specs ?? {}) } }), store: new MemoryStateStore(), loadThreats: threats ? async () => threats : undefined });
  const findings: Finding[] = [];
  for (let i = 0; i < sim.events.length; i += 25) {
    const out = await engine.process(sim.events.slice(i, i + 25));
    await engine.markPublished(out.findings);
    findings.push(...out.findings);
    // The in-memory store never waits on I/O: let the test runner's own messages through now and then.
    if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
  }
  const hours = (sim.end - sim.start) / 3_600_000;
  return { findings, hours, score: scoreScenario(name, hours, sim.labels, findings) };
}

/** The scenario's declared specs as files (what `detectors.inventory.specs` names), by api. */
function specFiles(specs: Record<string, object>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-specs-'));
  return Object.fromEntries(
    Object.entries(specs).map(([api, doc]) => {
      const file = join(dir, `${api}.json`);
      writeFileSync(file, JSON.stringify(doc));
      return [api, file];
    }),
  );
}

/** The bar of issue 5 over the single-day scenarios; the long runs and the bar of detection over time are npm run eval's (docs/detection-quality.md). */
describe('detection quality over the labelled single-day scenarios', () => {
  const scores: ScenarioScore[] = [];
  let clean = { hours: 24, findings: [] as Finding[] };

  it.each(dayScenarioNames.map((n) => [n]))('%s goes through the engine', async (name) => {
    const run = await detect(name);
    scores.push(run.score);
    if (name === 'clean-day') clean = { hours: run.hours, findings: run.findings };
    expect(run.score.scenario).toBe(name);
  }, 120_000);

  it('every detector has precision and recall of at least 0.9, the fast attacks are seen within a minute, and a clean day stays below medium', () => {
    expect(scores).toHaveLength(dayScenarioNames.length);
    const board = scoreboard(scores, clean);
    expect(qualityProblems(board)).toEqual([]);
    // Every detector is exercised by at least one labelled attack.
    // Every detector but new_endpoint (a low notice of a change, no attack) is exercised by at least one labelled attack.
    expect(board.rows.filter((r) => r.labels > 0).map((r) => r.detector).sort()).toHaveLength(15);
  });
});
