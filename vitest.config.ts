import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL for the whole run (Postgres store tests, each file in its own database).
    globalSetup: ['test/setup/sweep.ts', 'test/setup/postgres.ts'],
    // A no-op unless StrykerJS runs the suite (npm run mutate): children run the active mutant.
    setupFiles: ['test/helpers/mutant-in-children.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Child-process tests each start Node; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
});
