// What a killed test run leaves behind — its temp dirs, tmpfs and loop mounts, an embedded
// PostgreSQL — swept at the start of the next run. Every test dir is named with the pid of
// the process that made it (`provq-<kind>-p<pid>-XXXXXX`, fault rows' scratch dirs too:
// `provq-faults-<row>-p<pid>-XXXXXX`); one whose process is gone is taken down
// (faults/take-down-dir.ts). Dirs of live processes (a run beside this one) are left alone.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeDownDir } from '../../faults/take-down-dir.js';
import { processExists } from '../../src/journal/journal-names.js';

// `-journal`: the journal beside a test dir used as a queue's spill dir (`<spillDir>-journal`).
const TEST_DIR = /^provq-[a-z0-9-]+?-p(\d+)-[A-Za-z0-9]{6}(?:-journal)?$/;

/** Takes down every test dir of a process that is gone; returns the dirs removed. */
export function sweepStaleTestDirs(root = tmpdir()): string[] {
  const swept: string[] = [];
  for (const name of readdirSync(root)) {
    const m = TEST_DIR.exec(name);
    if (!m || processExists(Number(m[1]))) continue;
    const dir = join(root, name);
    if (takeDownDir(dir)) swept.push(dir); // else still busy: the next run tries again
  }
  return swept;
}
