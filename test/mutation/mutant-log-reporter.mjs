// A StrykerJS reporter for `npm run mutate`: appends every mutant's verdict to
// reports/mutants.jsonl (or $MUTANT_LOG) the moment it is known. StrykerJS 9.6 writes its own reports only at
// the end of a run, and a whole-core run takes hours: an interrupted run keeps its verdicts
// here (test/mutation/scores.mjs turns them into per-file scores).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { PluginKind, declareClassPlugin } from '@stryker-mutator/api/plugin';

/** `MUTANT_LOG` names another file (for runs over parts of the core, one log each). */
const FILE = process.env.MUTANT_LOG ?? 'reports/mutants.jsonl';

class MutantLogReporter {
  constructor() {
    mkdirSync('reports', { recursive: true });
    writeFileSync(FILE, '');
  }

  onMutantTested(m) {
    const line = {
      id: m.id,
      file: relative(process.cwd(), m.fileName),
      line: m.location.start.line,
      mutator: m.mutatorName,
      replacement: m.replacement,
      status: m.status,
      reason: m.statusReason,
      static: m.static,
      at: new Date().toISOString(),
    };
    appendFileSync(FILE, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'mutant-log', MutantLogReporter)];
