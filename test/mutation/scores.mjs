// Per-file mutation scores: `node test/mutation/scores.mjs [--survivors] [files...]`. With no
// file, the committed state of every area (test/mutation/state/inc-*.json: every verdict kept so
// far, whichever session measured it); a `.jsonl` file is a mutant log of this machine's runs
// (mutant-log-reporter.mjs). Scores are counted as StrykerJS counts them: (killed + timeout) /
// (killed + timeout + survived + no coverage); ignored (static) and errors are left out.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const STATE_DIR = 'test/mutation/state';
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = args.length ? args : readdirSync(STATE_DIR).filter((f) => /^inc-.*\.json$/.test(f)).sort().map((f) => join(STATE_DIR, f));

/** Verdicts of one file, as { file, line, mutator, replacement, status, group }. */
function verdicts(path) {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.jsonl')) {
    return text.split('\n').filter(Boolean).map((l) => ({ ...JSON.parse(l), group: basename(path) }));
  }
  const report = JSON.parse(text);
  const group = report.provq?.area ?? basename(path);
  return Object.entries(report.files).flatMap(([file, f]) =>
    f.mutants.map((m) => ({ file, line: m.location.start.line, mutator: m.mutatorName, replacement: m.replacement, status: m.status, group })),
  );
}

const empty = () => ({ Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 });
const count = (into, m) => {
  if (m.status in into) into[m.status]++;
  else into.other++;
};
const row = (name, f) => {
  const valid = f.Killed + f.Timeout + f.Survived + f.NoCoverage;
  const score = valid ? (((f.Killed + f.Timeout) / valid) * 100).toFixed(1) : '-';
  return `| ${name} | ${valid} | ${f.Killed} | ${f.Timeout} | ${f.Survived} | ${f.NoCoverage} | ${f.Ignored} | ${score} % |`;
};

const all = files.flatMap(verdicts);
console.log('| file | mutants | killed | timeout | survived | no coverage | ignored (static) | score |');
console.log('|---|---|---|---|---|---|---|---|');
const total = empty();
for (const group of [...new Set(all.map((m) => m.group))]) {
  const byFile = new Map();
  const sum = empty();
  for (const m of all.filter((x) => x.group === group)) {
    if (!byFile.has(m.file)) byFile.set(m.file, empty());
    count(byFile.get(m.file), m);
    count(sum, m);
    count(total, m);
  }
  for (const [file, f] of [...byFile].sort()) console.log(row(`\`${file}\``, f));
  console.log(row(`**${group}**`, sum));
}
console.log(row('**all**', total));
if (process.argv.includes('--survivors')) {
  for (const m of all.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
    console.log(`${m.status}\t${m.file}:${m.line}\t${m.mutator}\t${JSON.stringify(m.replacement).slice(0, 100)}`);
  }
}
