import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Child-process tests each start Node; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
});
