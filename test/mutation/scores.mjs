// Per-file mutation scores from reports/mutants.jsonl (written by mutant-log-reporter.mjs as
// `npm run mutate` goes): `node test/mutation/scores.mjs [--survivors] [log files...]`. Scores are counted
// as StrykerJS counts them: (killed + timeout) / (killed + timeout + survived + no coverage);
// ignored (static) and errors are left out.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const lines = (files.length ? files : ['reports/mutants.jsonl'])
  .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const byFile = new Map();
for (const m of lines) {
  const f = byFile.get(m.file) ?? { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
  if (m.status in f) f[m.status]++;
  else f.other++;
  byFile.set(m.file, f);
}
const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
const row = (name, f) => {
  const valid = f.Killed + f.Timeout + f.Survived + f.NoCoverage;
  const score = valid ? (((f.Killed + f.Timeout) / valid) * 100).toFixed(1) : '-';
  return `| \`${name}\` | ${valid} | ${f.Killed} | ${f.Timeout} | ${f.Survived} | ${f.NoCoverage} | ${f.Ignored} | ${score} % |`;
};
console.log('| file | mutants | killed | timeout | survived | no coverage | ignored (static) | score |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [file, f] of [...byFile].sort()) {
  console.log(row(file, f));
  for (const k of Object.keys(total)) total[k] += f[k];
}
console.log(row('all tested so far', total));
if (process.argv.includes('--survivors')) {
  for (const m of lines.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
    console.log(`${m.status}\t${m.file}:${m.line}\t${m.mutator}\t${JSON.stringify(m.replacement).slice(0, 100)}`);
  }
}
