// Under StrykerJS's dry run only (a setup file of vitest.mutate.config.ts): each test file reports
// the mutant coverage gathered while it ran, not everything since the worker started. StrykerJS's
// vitest runner hands over `ns.mutantCoverage` in each file's afterAll and sums the files'. In an
// isolated run each file has a fresh worker and so a fresh object; when files share a worker
// (`isolate: false`: the queue area, docs/testing.md "Mutation testing") the object grows across
// files and the sum would count the first files' hits once per later file — membership unchanged,
// but each mutant's hit limit (100 × its hits) inflated. The instrumented modules keep the object
// they first wrote to, so it is not replaced: each file hands over the difference instead.
import { afterAll, inject } from 'vitest';

type Coverage = Record<string, number>;
type MutantCoverage = { static: Coverage; perTest: Record<string, Coverage> };
interface StrykerNamespace {
  mutantCoverage?: MutantCoverage;
}

const KEY = '__provqCoverageSoFar';
const g = globalThis as Record<string, unknown>;
const ns = g.__stryker__ as StrykerNamespace | undefined;

const minus = (now: Coverage, before: Coverage | undefined): Coverage => {
  const out: Coverage = {};
  for (const [id, hits] of Object.entries(now)) {
    const d = hits - (before?.[id] ?? 0);
    if (d > 0) out[id] = d;
  }
  return out;
};

if (ns !== undefined && inject('mode') === 'dry-run') {
  // The object every instrumented module writes to (made here if no module has written yet);
  // the last file's handover swapped a difference in, so take the real one back first.
  const real = ((g[KEY] as MutantCoverage | undefined) ?? ns.mutantCoverage ?? { static: {}, perTest: {} }) as MutantCoverage;
  ns.mutantCoverage = real;
  g[KEY] = real;
  const before = structuredClone(real);
  // Registered after StrykerJS's own setup file's afterAll, so (hooks run as a stack) before it.
  afterAll(() => {
    const perTest: Record<string, Coverage> = {};
    for (const [test, cov] of Object.entries(real.perTest)) {
      const d = minus(cov, before.perTest[test]);
      if (Object.keys(d).length > 0) perTest[test] = d;
    }
    ns.mutantCoverage = { static: minus(real.static, before.static), perTest };
  });
}
