// npm run faults [-- --quick] [--json] [--only NAME,...] [--kill9-runs N]: runs the scenarios,
// prints the table. --kill9-runs sets the runs per kill -9 row (100 in the full run).
import { formatTable } from './report.js';
import { removeScratchDirs, type ScenarioResult } from './scenario.js';
import { SCENARIOS, SIZES } from './suite.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : null;
const kill9Runs = argv.includes('--kill9-runs') ? Number(argv[argv.indexOf('--kill9-runs') + 1]) : undefined;
const size = { ...(quick ? SIZES.quick : SIZES.full), ...(kill9Runs ? { kill9Runs } : {}) };

const results: ScenarioResult[] = [];
for (const s of SCENARIOS) {
  if (only && !only.has(s.name)) continue;
  const t0 = Date.now();
  const r = await s.run(size);
  results.push(...(Array.isArray(r) ? r : [r]));
  if (!json) process.stderr.write(`${s.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `${formatTable(results)}\n`);
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
removeScratchDirs();
