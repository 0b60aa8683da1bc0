// The committed form of an area's StrykerJS incremental report (test/mutation/state/inc-<area>.json):
// what `npm run mutate` reads at its start and what it writes as it goes, so the verdicts of one
// session's run are reused by the next, on another machine, at another path.
//
// StrykerJS reuses a verdict when the mutant's code and its covering tests are unchanged. For
// that it needs, from the last run: each mutated file's source and its mutants (mutator,
// replacement, location, status, and the tests that covered or killed them), and each test
// file's source and tests (id, name). Everything else of its report is left out here: the run's
// config and project root (absolute paths of one machine), mutant descriptions and durations,
// the tests that covered a *killed* mutant (only its killers decide whether it is reused), and
// long failure messages. Test ids are renumbered: vitest's ids are the test's file and full
// name, repeated in every mutant's list.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where an area's state lives in the repository. */
export const stateFile = (area) => `test/mutation/state/inc-${area}.json`;

/** Failure messages are kept to this many characters (they only explain a kill in a report). */
const REASON_CHARS = 300;

/**
 * `report`: a mutation-testing report in StrykerJS's schema (its final report, or one made from
 * the verdicts so far). `meta`: what to record about the run (area, commit, times).
 */
export function compactReport(report, meta = {}) {
  const ids = new Map();
  const short = (id) => {
    if (!ids.has(id)) ids.set(id, String(ids.size));
    return ids.get(id);
  };
  const testFiles = {};
  for (const [name, file] of Object.entries(report.testFiles ?? {})) {
    testFiles[name] = {
      ...(file.source !== undefined ? { source: file.source } : {}),
      tests: file.tests.map((t) => ({ id: short(t.id), name: t.name, ...(t.location ? { location: t.location } : {}) })),
    };
  }
  const known = new Set(ids.keys());
  // A mutant's test that is not in the report's tests cannot be matched by the next run: dropped.
  const testIds = (list) => (list ?? []).filter((id) => known.has(id)).map(short);
  const files = {};
  for (const [name, file] of Object.entries(report.files ?? {})) {
    files[name] = {
      language: file.language,
      source: file.source,
      mutants: file.mutants.map((m) => ({
        id: m.id,
        mutatorName: m.mutatorName,
        replacement: m.replacement,
        location: m.location,
        status: m.status,
        ...(m.statusReason ? { statusReason: m.statusReason.slice(0, REASON_CHARS) } : {}),
        ...(m.static ? { static: true } : {}),
        ...(m.testsCompleted !== undefined ? { testsCompleted: m.testsCompleted } : {}),
        ...(m.status === 'Killed' ? {} : { coveredBy: testIds(m.coveredBy) }),
        killedBy: testIds(m.killedBy),
      })),
    };
  }
  return { schemaVersion: '1.0', thresholds: { high: 85, low: 70 }, provq: meta, files, testFiles };
}

/** Written whole or not at all (a temp file renamed over it): a run stopped mid-write keeps the last one. */
export function writeState(path, report) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  // One line per file and per test file: small diffs between commits, and no giant single line.
  const lines = (obj) => Object.entries(obj).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
  const { files, testFiles, ...head } = report;
  const text =
    `{\n  ${Object.entries(head).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n  ')},\n` +
    `  "files": {\n${lines(files)}\n  },\n  "testFiles": {\n${lines(testFiles)}\n  }\n}\n`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
