// Loaded into every child of a test under StrykerJS (NODE_OPTIONS=--import, set by
// mutant-in-children.ts): saves which mutants the child executed, for the test that started it.
// Plain JS so that it loads in any child, with or without tsx.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ACTIVE_MUTANT_ENV = '__STRYKER_ACTIVE_MUTANT__';
export const COVERAGE_DIR_ENV = 'PROVQ_STRYKER_CHILD_COVERAGE_DIR';

const dir = process.env[COVERAGE_DIR_ENV];
if (dir) {
  const file = join(dir, `${process.pid}.json`);
  const save = () => {
    const coverage = globalThis.__stryker__?.mutantCoverage;
    if (!coverage) return;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(coverage));
      renameSync(`${file}.tmp`, file);
    } catch {
      // the test has ended and removed the directory
    }
  };
  process.on('exit', save);
  // A child killed by a signal or kill -9 never reaches 'exit': keep a recent snapshot.
  setInterval(save, 250).unref();
}
