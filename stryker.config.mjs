// Mutation testing of the core (issue 14): `npm run mutate`. Not part of `npm test` or CI.
// How to run it, the scores and the equivalent mutants: docs/testing.md.
import { AREAS } from './test/mutation/run-areas.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: {
    configFile: 'vitest.mutate.config.ts',
    // Child-process tests reach src/ through faults/ and dist/, not through imports that
    // vitest's "related files" can see: run every test file, let coverage pick the tests.
    related: false,
  },
  coverageAnalysis: 'perTest',
  // A static mutant (code run when a module loads: constants, module-level objects) cannot be
  // tied to the tests that cover it, so StrykerJS runs the whole suite for each — 12 minutes
  // apiece on two cores. They are left out of the run and the score (reported as ignored);
  // docs/testing.md lists how many there are and the tests written against the ones that matter.
  ignoreStatic: true,
  // The children of child-process tests load dist/ (the CLI, docs examples) or src/ through
  // tsx (faults/child.ts). Building inside the sandbox, after Stryker has instrumented src/,
  // puts every mutant in dist/ too; test/helpers/mutant-in-children.ts switches the same
  // mutant on in each child and reports what the child covered.
  buildCommand: 'npm run build',
  // The core: every area's sources (test/mutation/run-areas.mjs keeps the one list).
  mutate: [...new Set(Object.values(AREAS).flatMap((a) => a.mutate))],
  // A re-run tests only the mutants whose code or tests changed; `--force` re-tests everything.
  // `npm run mutate` keeps each area's verdicts in test/mutation/state/inc-<area>.json (committed,
  // so a run spans sessions and machines) and hands StrykerJS a copy in reports/; this file is
  // the `--whole` run's (docs/testing.md, "Progress across sessions").
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // Two cores shared by several engineers: few workers, and timeouts that tolerate a busy
  // machine (a mutant that only slows things down is not a hang).
  concurrency: 2,
  timeoutFactor: 3,
  timeoutMS: 30_000,
  dryRunTimeoutMinutes: 30,
  // mutant-log: each verdict appended to reports/mutants.jsonl as it comes (an interrupted run keeps them).
  // incremental-snapshot: the state ($MUTATE_STATE, else the incremental file) rewritten once a
  // minute, so an interrupted run resumes where it stopped (StrykerJS 9.6 writes it only at the end).
  plugins: ['@stryker-mutator/*', './test/mutation/mutant-log-reporter.mjs', './test/mutation/incremental-snapshot-reporter.mjs'],
  reporters: ['clear-text', 'progress', 'html', 'json', 'mutant-log', 'incremental-snapshot'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 85, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
