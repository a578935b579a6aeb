import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The config `npm run soak` (bench/src/soak.ts) runs the soak rig with: only
 * soak.run.ts, in one fork, without a timeout (the run lasts SOAK_MINUTES),
 * workspace packages from their sources as in the suite. Not a project of
 * the root config, so no suite run ever starts a 30-minute soak.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/soak/soak.run.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 0,
    // kafkajs takes its retry timings from NODE_ENV: the soak's own producer and admin keep a deployment's, not vitest's 'test' ones.
    env: { NODE_ENV: 'production' },
  },
});
