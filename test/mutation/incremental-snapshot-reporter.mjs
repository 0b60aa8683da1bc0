// A StrykerJS reporter for `npm run mutate` that makes a long run resumable. StrykerJS 9.6
// writes its incremental file (what the next run reuses) only when a run ends, and the
// whole core takes longer than any session: an interrupted run left nothing to build on.
// This reporter writes the same file — every verdict so far, with the dry run's tests —
// once a minute while the run goes, atomically (a temp file renamed over it). The next run
// reads it like any incremental file: mutants whose code and covering tests are unchanged
// keep their verdict (StrykerJS reports them first, so they are in every later snapshot too),
// and only the rest are tested. A run that ends writes the full file itself, over ours.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, extname, relative } from 'node:path';
import { commonTokens, PluginKind, declareClassPlugin } from '@stryker-mutator/api/plugin';

/** How often a snapshot is written (ms); `MUTATE_SNAPSHOT_MS` overrides it. */
const EVERY_MS = Number(process.env.MUTATE_SNAPSHOT_MS ?? 60_000);

/** The report's file key, as StrykerJS writes it: relative to the project, forward slashes. */
const reportName = (fileName) => (fileName ? relative(process.cwd(), fileName).replaceAll('\\', '/') : '');

class IncrementalSnapshotReporter {
  static inject = [commonTokens.options];

  constructor(options) {
    this.enabled = options.incremental === true;
    this.file = options.incrementalFile;
    this.tests = [];
    this.results = [];
    this.lastWrite = Date.now();
    this.ended = false;
  }

  onDryRunCompleted({ result }) {
    this.tests = result.tests ?? [];
  }

  onMutantTested(result) {
    this.results.push(result);
    if (this.enabled && !this.ended && Date.now() - this.lastWrite >= EVERY_MS) this.write();
  }

  onMutationTestReportReady() {
    this.ended = true; // StrykerJS writes the complete incremental file now
  }

  write() {
    this.lastWrite = Date.now();
    const sources = new Map();
    const source = (key) => {
      if (!sources.has(key)) sources.set(key, readFileSync(key, 'utf8'));
      return sources.get(key);
    };
    const files = {};
    for (const { fileName, location, killedBy, coveredBy, ...mutant } of this.results) {
      const key = reportName(fileName);
      files[key] ??= { language: extname(key) === '.ts' ? 'typescript' : 'javascript', source: source(key), mutants: [] };
      files[key].mutants.push({ ...mutant, location, killedBy, coveredBy });
    }
    const testFiles = {};
    for (const test of this.tests) {
      const key = reportName(test.fileName);
      testFiles[key] ??= key ? { source: source(key), tests: [] } : { tests: [] };
      testFiles[key].tests.push({
        id: test.id,
        name: test.name,
        location: test.startPosition ? { start: { line: test.startPosition.line + 1, column: test.startPosition.column + 1 } } : undefined,
      });
    }
    const report = { schemaVersion: '1.0', thresholds: { high: 80, low: 60 }, files, testFiles, projectRoot: process.cwd() };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.snapshot-tmp`;
    writeFileSync(tmp, JSON.stringify(report));
    renameSync(tmp, this.file);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'incremental-snapshot', IncrementalSnapshotReporter)];
