// Tries rows 5 and 6 on their own: `npm run build && node dist/bench/try-rows-5-6.js`
// (quick sizes; `--full` for the table's sizes). Prints the table, then each row's figures.
import { removeBenchDirs } from './fixtures.js';
import { formatTable } from './report.js';
import { row5 } from './row5-overload.js';
import { row6 } from './row6-exit.js';
import { FULL, QUICK } from './sizes.js';

const sizes = process.argv.includes('--full') ? FULL : QUICK;
try {
  const rows = [await row5(sizes), await row6(sizes)];
  console.log(formatTable(rows));
  for (const r of rows) console.log(`row ${r.row}: ${JSON.stringify(r.figures)}`);
} finally {
  await removeBenchDirs();
}
