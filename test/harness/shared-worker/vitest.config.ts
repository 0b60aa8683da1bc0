// The suite's own setup files, with two files sharing one worker's modules (`isolate: false`,
// one thread), as `npm run mutate` runs the queue area. Run by test/harness/file-cleanup.test.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../../vitest.config.js';

export default defineConfig({
  root: fileURLToPath(new URL('../../..', import.meta.url)),
  test: {
    include: ['test/harness/shared-worker/*.fixture.ts'],
    setupFiles: base.test?.setupFiles,
    isolate: false,
    pool: 'threads',
    maxWorkers: 1,
  },
});
