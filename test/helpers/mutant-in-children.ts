// Under StrykerJS only (a no-op otherwise): child processes run the mutant the test runs, and
// what they executed counts as covered by that test. Without this, a mutant reached only by
// a child (the CLI, the exit drain, the fault harness) would look untested and never be run
// against the tests that can kill it. Registered as a vitest setup file (vitest.config.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { ACTIVE_MUTANT_ENV, COVERAGE_DIR_ENV } from './child-mutant-coverage.mjs';

type Coverage = Record<string, number>;
interface StrykerNamespace {
  activeMutant?: string | number;
  currentTestId?: string;
  mutantCoverage?: { static: Coverage; perTest: Record<string, Coverage> };
}

const stryker = (): StrykerNamespace | undefined => (globalThis as { __stryker__?: StrykerNamespace }).__stryker__;

if (stryker() !== undefined) {
  const coverageDir = join(tmpdir(), `provq-child-coverage-${process.pid}-${process.hrtime.bigint()}`);
  const reporter = pathToFileURL(fileURLToPath(new URL('./child-mutant-coverage.mjs', import.meta.url))).href;
  // Once: with `isolate: false` this setup file runs again for each test file in one process.
  const importReporter = `--import ${reporter}`;
  if (!(process.env.NODE_OPTIONS ?? '').includes(importReporter)) {
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${importReporter}`.trim();
  }

  // Stryker's own setup file runs first, so the active mutant and test id are already set.
  const handOver = (): void => {
    const ns = stryker()!;
    if (ns.activeMutant === undefined) delete process.env[ACTIVE_MUTANT_ENV];
    else process.env[ACTIVE_MUTANT_ENV] = String(ns.activeMutant);
    // Coverage is only gathered in Stryker's dry run, the one run with a current test id.
    if (ns.currentTestId === undefined) delete process.env[COVERAGE_DIR_ENV];
    else {
      mkdirSync(coverageDir, { recursive: true });
      process.env[COVERAGE_DIR_ENV] = coverageDir;
    }
  };
  beforeAll(handOver);
  beforeEach(handOver);

  // Runs before Stryker's afterEach (hooks unwind), while the test id is still set.
  afterEach(() => {
    const ns = stryker()!;
    const testId = ns.currentTestId;
    let files: string[] = [];
    try {
      files = readdirSync(coverageDir).filter((f) => f.endsWith('.json'));
    } catch {
      return;
    }
    for (const f of files) {
      const path = join(coverageDir, f);
      if (testId !== undefined) {
        try {
          const child = JSON.parse(readFileSync(path, 'utf8')) as { static: Coverage; perTest: Record<string, Coverage> };
          ns.mutantCoverage ??= { static: {}, perTest: {} };
          const into = (ns.mutantCoverage.perTest[testId] ??= {});
          for (const part of [child.static, ...Object.values(child.perTest)]) {
            for (const [id, hits] of Object.entries(part)) into[id] = (into[id] ?? 0) + hits;
          }
        } catch {
          // a child killed mid-write: its last complete snapshot was renamed into place before
        }
      }
      rmSync(path, { force: true });
    }
  });
  afterAll(() => rmSync(coverageDir, { recursive: true, force: true }));
}
