import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the "source" export
// condition), so tests never run against a stale build.
/** Integration tests that run one at a time (see the integration-serial project). */
const heavy = ['cardinality', 'fault-broker', 'fault-replicas', 'scale-out', 'soak'].map((name) => `test/integration/${name}.test.ts`);
/** The golden runs: the engine over every scenario, CPU-bound and timing-free (see the integration-golden project). */
const golden = ['golden-memory', 'golden-redis'].map((name) => `test/integration/${name}.test.ts`);

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    globals: true,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'bench/src/**/*.test.ts', 'test/repo/**/*.test.ts', 'test/soak/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...heavy, ...golden],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The tests that load the machine (several vigil processes, floods of a million events or more,
        // the soak's steady rate) run one at a time in one fork, after the others: on a 2-core host two
        // of them at once starve each other's processes and turn timing bounds into chance.
        extends: true,
        test: {
          name: 'integration-serial',
          include: heavy,
          globalSetup: ['test/support/global-setup.ts'],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The golden runs have no timing bounds but each keeps a core busy for minutes: they run last, when the
        // tests above are done (a later group), side by side (the root's two forks) so that both cores work.
        extends: true,
        test: {
          name: 'integration-golden',
          include: golden,
          globalSetup: ['test/support/global-setup.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
