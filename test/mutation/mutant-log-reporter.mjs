// A StrykerJS reporter for `npm run mutate`: appends every mutant's verdict to
// reports/mutants.jsonl (or $MUTANT_LOG) the moment it is known. StrykerJS 9.6 writes its own reports only at
// the end of a run, and a whole-core run takes hours: an interrupted run keeps its verdicts
// here (test/mutation/scores.mjs turns them into per-file scores).
//
// Where a run's time goes (session 13): a tested mutant's line also holds `ms` (the time since the
// previous tested verdict, or since the plan was ready: its run's wall time at `--concurrency 1`),
// `tests` (how many tests ran: all it was covered by for a survivor, up to the killing one for a
// kill) and what was planned (`plannedTests`, `plannedFiles`, `netMs`: the dry run's time of those
// tests). The dry run's per-test times go to `<log>.dry-run.json` (`node test/mutation/timings.mjs`).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { PluginKind, declareClassPlugin } from '@stryker-mutator/api/plugin';

/** `MUTANT_LOG` names another file (for runs over parts of the core, one log each). */
const FILE = process.env.MUTANT_LOG ?? 'reports/mutants.jsonl';

/** A test id's file, as StrykerJS's vitest runner makes them: `<file>#<full name>`. */
const fileOf = (testId) => String(testId).split('#')[0];

class MutantLogReporter {
  constructor() {
    mkdirSync('reports', { recursive: true });
    writeFileSync(FILE, '');
    this.plans = new Map();
    this.last = Date.now();
  }

  onDryRunCompleted({ result, timing }) {
    const tests = (result.tests ?? []).map((t) => ({ id: t.id, file: t.fileName ? relative(process.cwd(), t.fileName) : fileOf(t.id), ms: Math.round(t.timeSpentMs) }));
    writeFileSync(`${FILE}.dry-run.json`, `${JSON.stringify({ at: new Date().toISOString(), timing, tests }, null, 1)}\n`);
  }

  onMutationTestingPlanReady({ mutantPlans }) {
    for (const p of mutantPlans) {
      if (p.plan !== 'Run') continue;
      const filter = p.runOptions.testFilter ?? [];
      this.plans.set(p.mutant.id, { plannedTests: filter.length, plannedFiles: new Set(filter.map(fileOf)).size, netMs: Math.round(p.netTime) });
    }
    this.last = Date.now();
  }

  onMutantTested(m) {
    const plan = this.plans.get(m.id);
    const now = Date.now();
    const line = {
      id: m.id,
      file: relative(process.cwd(), m.fileName),
      line: m.location.start.line,
      mutator: m.mutatorName,
      replacement: m.replacement,
      status: m.status,
      reason: m.statusReason,
      static: m.static,
      at: new Date(now).toISOString(),
      ...(plan ? { ms: now - this.last, tests: m.testsCompleted, ...plan } : {}),
    };
    if (plan) this.last = now;
    appendFileSync(FILE, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'mutant-log', MutantLogReporter)];
