// The suite as `npm run mutate` runs it: every test but the docs/api.md check, which runs
// typedoc over src/ — inside Stryker's sandbox that is the instrumented source, whose
// generated helpers typedoc warns about, and no mutant of the core is killed by docs.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';
import { KillFirstSequencer } from './test/mutation/kill-first-sequencer.js';

// A run by area (run-areas.mjs sets MUTATE_AREA) has no Postgres test: no PostgreSQL is started
// (StrykerJS starts vitest again after every timeout). `--whole` runs every test, Postgres's too.
const globalSetup = process.env.MUTATE_AREA ? ['test/setup/sweep.ts'] : base.test?.globalSetup;

export default mergeConfig(
  { ...base, test: { ...base.test, globalSetup } },
  defineConfig({
    // 60 s, not npm test's 120 s: a mutant that hangs a test costs its full limit here.
    test: {
      exclude: [...configDefaults.exclude, 'test/docs/api-doc.test.ts'],
      // Each test's limit in a mutant run: StrykerJS's timeout rule, per test (the file says how);
      // each file's own mutant coverage in the dry run, also when files share a worker.
      setupFiles: ['test/helpers/mutation-deadline.ts', 'test/helpers/coverage-per-file.ts'],
      // run-areas.mjs says whether an area's files share one worker's modules (MUTATE_ISOLATE=0):
      // no fresh worker and imports per file, ~1 s a file of every mutant (docs/testing.md).
      isolate: process.env.MUTATE_ISOLATE !== '0',
      testTimeout: 60_000,
      hookTimeout: 30_000,
      // StrykerJS stops a mutant's run at its first failing test: the order decides what a kill costs.
      sequence: { sequencer: KillFirstSequencer },
    },
  }),
);
