// `npm run bench`: every row against its baseline, measured in this one run.
// `--quick` shrinks the sizes (a smoke run, not the figures), `--only 1,3` picks rows,
// `--json [file]` writes the results as JSON (to stdout without a file).
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { removeBenchDirs } from './fixtures.js';
import { formatTable, machineInfo, type RowResult } from './report.js';
import { FULL, QUICK, type BenchSizes } from './sizes.js';
import { row1 } from './row1-enqueue.js';
import { row2 } from './row2-throughput.js';
import { row3 } from './row3-recall.js';
import { row4 } from './row4-history.js';
import { row5 } from './row5-overload.js';
import { row6 } from './row6-exit.js';
import { row7 } from './row7-loop-delay.js';
import { row8 } from './row8-flush.js';
import { row9 } from './row9-postgres-recall.js';
import { row10 } from './row10-postgres-throughput.js';
import { stopBenchPostgres } from './postgres.js';
import { row11 } from './row11-read-back.js';
import { row12 } from './row12-journal-cost.js';

const ROWS: Record<number, (sizes: BenchSizes) => Promise<RowResult>> = { 1: row1, 2: row2, 3: row3, 4: row4, 5: row5, 6: row6, 7: row7, 8: row8, 9: row9, 10: row10, 11: row11, 12: row12 };

function parseRows(value: string): number[] {
  const rows = value.split(',').map((s) => Number(s.trim()));
  for (const r of rows) {
    if (!ROWS[r]) throw new InvalidArgumentError(`rows are numbers 1 to 12 separated by commas, e.g. --only 1,3 (got "${value}")`);
  }
  return rows;
}

const program = new Command('bench')
  .description('provenance-queue benchmarks, each against its baseline in the same run')
  .option('--quick', 'small sizes: checks that every row runs (figures are not the targets)')
  .option('--only <rows>', 'run only these rows, e.g. 1,3', parseRows)
  .option('--json [file]', 'write the results as JSON to a file, or to stdout')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ quick?: boolean; only?: number[]; json?: string | true }>();

const sizes = opts.quick ? QUICK : FULL;
const rows = opts.only ?? Object.keys(ROWS).map(Number);
const machine = machineInfo();
const started = performance.now();
const results: RowResult[] = [];
const log = (line: string) => (opts.json === true ? process.stderr : process.stdout).write(`${line}\n`);

log(`provenance-queue bench${opts.quick ? ' (--quick: smoke sizes)' : ''}: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}`);
try {
  for (const row of rows) {
    const t0 = performance.now();
    log(`row ${row} ...`);
    const result = await ROWS[row]!(sizes);
    results.push(result);
    log(`row ${row}: ${result.measured} | ${result.baseline} | ${result.met ? 'MET' : 'NOT MET'} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    globalThis.gc?.();
  }
} finally {
  await stopBenchPostgres();
  await removeBenchDirs();
}
const seconds = (performance.now() - started) / 1000;
log('');
log(formatTable(results));
log(`\n${results.filter((r) => r.met).length} of ${results.length} targets met in ${seconds.toFixed(0)} s.`);
if (opts.json !== undefined) {
  const json = `${JSON.stringify({ date: new Date().toISOString(), quick: !!opts.quick, machine, seconds, rows: results }, null, 2)}\n`;
  if (opts.json === true) process.stdout.write(json);
  else writeFileSync(opts.json, json);
}
