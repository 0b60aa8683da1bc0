// npm run faults [-- --quick] [--json] [--only NAME,...] [--kill9-runs N]: runs the scenarios,
// prints each row's line to stderr as it finishes, and the table (or JSON) at the end.
// --kill9-runs sets the runs per kill -9 row (100 in the full run). A row that throws is a
// FAIL row; each row removes its scratch dirs when it ends, whatever the outcome.
import { formatRowLine, formatTable } from './report.js';
import { removeScratchDirs, runRow, type ScenarioResult } from './scenario.js';
import { SCENARIOS, SIZES, type Scenario } from './suite.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : null;
const kill9Runs = argv.includes('--kill9-runs') ? Number(argv[argv.indexOf('--kill9-runs') + 1]) : undefined;
const size = { ...(quick ? SIZES.quick : SIZES.full), ...(kill9Runs ? { kill9Runs } : {}) };

/** A row's results; a row that threw is one failing result naming the error. */
async function resultsOf(s: Scenario): Promise<ScenarioResult[]> {
  try {
    const r = await runRow(() => s.run(size));
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    const note = `threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`.split('\n').slice(0, 3).join(' ');
    return [{ scenario: s.name, runs: 0, enqueued: 0, durable: 0, lost: 0, duplicated: 0, orderViolations: 0, expectation: 'the row runs to its end', pass: false, note }];
  }
}

const results: ScenarioResult[] = [];
try {
  for (const s of SCENARIOS) {
    if (only && !only.has(s.name)) continue;
    const t0 = performance.now();
    const rows = await resultsOf(s);
    const seconds = (performance.now() - t0) / 1000;
    for (const r of rows) process.stderr.write(`${formatRowLine(r, seconds)}\n`);
    results.push(...rows);
  }
} finally {
  removeScratchDirs();
}
process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `${formatTable(results)}\n`);
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
