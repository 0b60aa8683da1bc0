// Where a mutation run's time goes: `node test/mutation/timings.mjs [reports/mutants-<area>.jsonl]`;
// `--compare before.jsonl after.jsonl`: the mutants both logs tested, side by side.
// Reads a mutant log (mutant-log-reporter.mjs: each tested mutant's wall time `ms`, the tests it
// ran, what was planned) and the dry run's per-test times beside it (`<log>.dry-run.json`), and
// prints: per verdict, the mutants tested, their time (mean, median, sum) and tests run; for the
// mutants that ran every covering test (survivors), the part of their time that is not the tests'
// own dry-run time (`netMs`), per test file run; and the dry run's slowest test files.
import { existsSync, readFileSync } from 'node:fs';

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const read = (path) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
/** A kill at a test's limit in a mutant run (test/helpers/mutation-deadline.ts), told apart. */
const verdict = (l) => (l.status === 'Killed' && /^mutation run: /.test(l.reason ?? '') ? 'Killed (at the limit)' : l.status);

if (process.argv[2] === '--compare') {
  const [before, after] = process.argv.slice(3).map((p) => read(p).filter((l) => typeof l.ms === 'number'));
  // By id: both runs instrumented the same source the same way (same ids); the line and change as a check.
  const key = (l) => `${l.id}:${l.file}:${l.line}:${l.mutator}:${l.replacement}`;
  const later = new Map(after.map((l) => [key(l), l]));
  console.log('| mutant | before | after | verdict before | verdict after |');
  console.log('|---|---|---|---|---|');
  let b = 0;
  let a = 0;
  for (const l of before) {
    const m = later.get(key(l));
    if (!m) continue;
    b += l.ms;
    a += m.ms;
    console.log(`| ${l.line} ${l.mutator} \`${String(l.replacement).slice(0, 40)}\` | ${s(l.ms)} | ${s(m.ms)} | ${verdict(l)} | ${verdict(m)} |`);
  }
  console.log(`| all | ${s(b)} | ${s(a)} | | |`);
  process.exit(0);
}

const log = process.argv[2] ?? 'reports/mutants-queue.jsonl';
const lines = read(log);
const tested = lines.filter((l) => typeof l.ms === 'number');
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : 0;
};

console.log(`${log}: ${lines.length} verdicts, ${tested.length} tested in this run`);
console.log('| verdict | mutants | mean | median | sum | tests run (mean) | planned tests (mean) |');
console.log('|---|---|---|---|---|---|---|');
for (const status of [...new Set(tested.map(verdict)), 'all']) {
  const g = tested.filter((l) => status === 'all' || verdict(l) === status);
  if (g.length === 0) continue;
  const sum = g.reduce((a, l) => a + l.ms, 0);
  const mean = (f) => (g.reduce((a, l) => a + (f(l) ?? 0), 0) / g.length).toFixed(1);
  console.log(`| ${status} | ${g.length} | ${s(sum / g.length)} | ${s(median(g.map((l) => l.ms)))} | ${s(sum)} | ${mean((l) => l.tests)} | ${mean((l) => l.plannedTests)} |`);
}

const full = tested.filter((l) => l.status === 'Survived' && l.plannedFiles > 0);
if (full.length) {
  const over = full.map((l) => (l.ms - l.netMs) / l.plannedFiles);
  console.log(`\nsurvivors: wall ${s(full.reduce((a, l) => a + l.ms, 0))} for dry-run test time ${s(full.reduce((a, l) => a + l.netMs, 0))}; ` +
    `not the tests' own time, per test file run: median ${s(median(over))}`);
}

const dryFile = `${log}.dry-run.json`;
if (existsSync(dryFile)) {
  const dry = JSON.parse(readFileSync(dryFile, 'utf8'));
  const byFile = new Map();
  for (const t of dry.tests) {
    const f = byFile.get(t.file) ?? { tests: 0, ms: 0, max: 0 };
    f.tests++;
    f.ms += t.ms;
    f.max = Math.max(f.max, t.ms);
    byFile.set(t.file, f);
  }
  const net = dry.tests.reduce((a, t) => a + t.ms, 0);
  console.log(`\ndry run (${dry.at}): ${dry.tests.length} tests in ${byFile.size} files, tests' own time ${s(net)}, StrykerJS's overhead ${s(dry.timing?.overhead ?? 0)}`);
  console.log('| test file | tests | time | slowest test |');
  console.log('|---|---|---|---|');
  for (const [file, f] of [...byFile].sort((a, b) => b[1].ms - a[1].ms)) console.log(`| ${file} | ${f.tests} | ${s(f.ms)} | ${s(f.max)} |`);
}
