// A StrykerJS reporter for `npm run mutate` that makes a long run resumable, across sessions and
// machines. StrykerJS 9.6 writes its incremental file (what the next run reuses) only when a run
// ends, and the whole core takes longer than any session. This reporter writes the same kind of
// report — every verdict so far, with the dry run's tests — once a minute while the run goes,
// compacted (test/mutation/state-report.mjs), to `$MUTATE_STATE` (run-areas.mjs sets it to the
// area's committed file, test/mutation/state/inc-<area>.json) or else to the run's incremental
// file; and once more, from StrykerJS's complete report, when the run ends. The next run reads it
// like any incremental file: mutants whose code and covering tests are unchanged keep their
// verdict (StrykerJS reports reused verdicts first, so they are in every later snapshot too), and
// only the rest are tested.
//
// Sources are StrykerJS's own copies of the files as they were when the run began (the project's
// originals, read when the sandbox was made), not the files on disk now: a test edited while the
// run goes must not be recorded as the test the verdicts were measured with.
import { execFileSync } from 'node:child_process';
import { resolve, extname, relative } from 'node:path';
import { commonTokens, PluginKind, declareClassPlugin } from '@stryker-mutator/api/plugin';
import { compactReport, writeState } from './state-report.mjs';

/** How often a snapshot is written (ms); `MUTATE_SNAPSHOT_MS` overrides it. */
const EVERY_MS = Number(process.env.MUTATE_SNAPSHOT_MS ?? 60_000);

/** The report's file key, as StrykerJS writes it: relative to the project, forward slashes. */
const reportName = (fileName) => (fileName ? relative(process.cwd(), fileName).replaceAll('\\', '/') : '');

/** A test id StrykerJS made for a test of the last run that did not run this time: `file@line:col\nname`. */
const OLD_TEST_KEY = /^(.*)@(\d+):(\d+)\n([\s\S]*)$/;

const commit = () => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'test'], { encoding: 'utf8' }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
};

class IncrementalSnapshotReporter {
  static inject = [commonTokens.options, 'project'];

  constructor(options, project) {
    this.enabled = options.incremental === true;
    this.file = process.env.MUTATE_STATE || options.incrementalFile;
    this.project = project;
    this.sources = new Map();
    this.meta = { area: process.env.MUTATE_AREA ?? null, measuredOn: commit(), started: new Date().toISOString() };
    this.tests = [];
    this.results = [];
    this.lastWrite = Date.now();
    this.ended = false;
    this.ready = false; // the sources are read: no snapshot before (it would hold no source to diff against)
  }

  async onDryRunCompleted({ result }) {
    this.tests = result.tests ?? [];
    // The originals were read when the sandbox was made; reading them now only takes them from memory.
    for (const [name, file] of this.project?.files ?? []) {
      const key = reportName(name);
      if (!key.startsWith('src/') && !key.startsWith('test/')) continue;
      try {
        this.sources.set(key, await file.readOriginal());
      } catch {
        // unreadable: its verdicts are left out of snapshots (re-tested next time), not guessed
      }
    }
    this.ready = true;
  }

  onMutantTested(result) {
    this.results.push(result);
    if (this.enabled && this.ready && !this.ended && Date.now() - this.lastWrite >= EVERY_MS) this.snapshot();
  }

  onMutationTestReportReady(report) {
    this.ended = true; // StrykerJS writes its own full incremental file next; the state is ours
    if (this.enabled) writeState(this.file, compactReport(report, { ...this.meta, ended: new Date().toISOString(), complete: true }));
  }

  snapshot() {
    this.lastWrite = Date.now();
    const files = {};
    for (const { fileName, location, killedBy, coveredBy, ...mutant } of this.results) {
      const key = reportName(fileName);
      if (!this.sources.has(key)) continue; // not a file of this run's project: its verdicts cannot be matched
      files[key] ??= { language: extname(key) === '.ts' ? 'typescript' : 'javascript', source: this.sources.get(key), mutants: [] };
      files[key].mutants.push({ ...mutant, location, killedBy, coveredBy });
    }
    const testFiles = {};
    const addTest = (key, test) => {
      // A test file kept without its source could never be seen to change: left out (its tests' verdicts are re-tested).
      if (key && !this.sources.has(key)) return;
      testFiles[key] ??= key ? { source: this.sources.get(key), tests: [] } : { tests: [] };
      testFiles[key].tests.push(test);
    };
    for (const test of this.tests) {
      addTest(reportName(test.fileName), {
        id: test.id,
        name: test.name,
        location: test.startPosition ? { start: { line: test.startPosition.line + 1, column: test.startPosition.column + 1 } } : undefined,
      });
    }
    // Tests of the last run that this run did not have (StrykerJS keeps them under their key).
    const known = new Set(this.tests.map((t) => t.id));
    for (const m of this.results) {
      for (const id of [...(m.killedBy ?? []), ...(m.coveredBy ?? [])]) {
        const old = known.has(id) ? null : OLD_TEST_KEY.exec(id);
        if (!old) continue;
        known.add(id);
        const [, file, line, column, name] = old;
        const start = Number(line) === 0 && Number(column) === 0 ? undefined : { line: Number(line) + 1, column: Number(column) + 1 };
        addTest(reportName(resolve(file)), { id, name, ...(start ? { location: { start } } : {}) });
      }
    }
    writeState(this.file, compactReport({ files, testFiles }, { ...this.meta, snapshot: new Date().toISOString(), complete: false }));
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'incremental-snapshot', IncrementalSnapshotReporter)];
