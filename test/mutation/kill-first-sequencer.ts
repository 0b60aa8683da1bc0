// The order of test files in a mutation run (vitest.mutate.config.ts). StrykerJS's vitest runner
// runs a mutant's covering tests in one worker and stops at the first failure (bail 1), so
// the order decides how long a kill takes; a survivor runs every covering test in any order.
// vitest's own order puts files that failed last time first and then the *longest* first (the
// order that fills many workers best) — with one worker and bail, the worst order for a kill.
// Here: files that failed last time first (a mutant's neighbour is often killed by the same
// test), then the quickest first, by their last run's time (vitest's results cache, updated
// after every run; a file with no time yet first, smallest first).
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export class KillFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const known = (f: TestSpecification) => {
      const key = `${f.project.name}:${relative(config.root, f.moduleId)}`;
      const last = cache.getFileTestResults(key);
      return { failed: last?.failed === true, ms: last?.duration ?? -1, size: cache.getFileStats(key)?.size ?? 0 };
    };
    const info = new Map(files.map((f) => [f, known(f)]));
    return [...files].sort((a, b) => {
      const x = info.get(a)!;
      const y = info.get(b)!;
      if (x.failed !== y.failed) return x.failed ? -1 : 1;
      if (x.ms !== y.ms) return x.ms - y.ms;
      return x.size - y.size;
    });
  }
}
