import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL for the whole run (Postgres store tests, each file in its own database).
    globalSetup: ['test/setup/sweep.ts', 'test/setup/postgres.ts'],
    // A no-op unless StrykerJS runs the suite (npm run mutate): children run the active mutant.
    // Then what the helpers made for a file (temp dirs, mounts) is taken down after it.
    setupFiles: ['test/helpers/mutant-in-children.ts', 'test/helpers/file-cleanup.ts'],
    // Generous: a test's own waits are bounded by conditions, and at load 15-22 (four
    // engineers on two cores) a test that starts several children took 30-60 s. A hung test
    // still fails, later. `npm run mutate` keeps 60 s (vitest.mutate.config.ts), where each
    // hanging mutant costs this much.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Child-process tests each start Node; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
});
