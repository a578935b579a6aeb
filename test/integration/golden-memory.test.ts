import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@vigil/state';
import { caseName, GOLDEN_BATCH_SIZES, GOLDEN_SEEDS, goldenScenarios, readGolden, runGoldenCase, writeGolden, writingGolden, type GoldenRun } from '../golden/golden.js';

/**
 * Same behaviour, proven: every simulator scenario, three seeds, batches of
 * 25, 500 and 5,000, over in-memory state, gives the findings the fixtures
 * hold (written by the engine before it was restructured), to the last field.
 */
describe('the engine against its golden outputs (memory state)', () => {
  for (const seed of GOLDEN_SEEDS) {
    it(`seed ${seed}: every scenario and batch size gives the fixture's findings`, async () => {
      const runs: Record<string, GoldenRun> = {};
      for (const scenario of goldenScenarios) {
        for (const batchSize of GOLDEN_BATCH_SIZES) {
          const c = { scenario, seed, batchSize };
          runs[caseName(c)] = await runGoldenCase(c, new MemoryStateStore());
        }
      }
      if (writingGolden) writeGolden(seed, runs);
      const golden = readGolden(seed);
      expect(Object.keys(runs).sort()).toEqual(Object.keys(golden).sort());
      for (const name of Object.keys(golden)) expect(runs[name], name).toEqual(golden[name]);
      // The fixtures are not empty: most scenarios find their attack.
      expect(Object.values(golden).reduce((n, r) => n + r.findings.length, 0)).toBeGreaterThan(100);
    }, 600_000);
  }
});
