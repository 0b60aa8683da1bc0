// Spill file names sort in the order the files were written ("lexical order = age", the
// read-back order) also when the wall clock steps back while the process runs: the names
// take the id clock's time (wall time read once, advanced by the monotonic clock), as entry
// ids do. The clock is stepped in a child process (faults/fake-clock.ts), never on the
// machine.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import { removeScratchDirs } from '../../faults/scenario.js';
import { tempDir } from '../helpers/temp.js';

afterAll(() => removeScratchDirs());

const CHILD = fileURLToPath(new URL('./spill-names-child.ts', import.meta.url));
const STEPPED_CLOCK = fileURLToPath(new URL('../../faults/fake-clock.ts', import.meta.url));

describe('spill file names and a wall clock that steps', () => {
  // Checked: with newSpillFileName taking Date.now() again, the file written after the step
  // is named an hour earlier than the one before it, sorts first, and both cases fail.
  it.each([
    ['stepped back an hour', 0, -3_600_000],
    ['an hour ahead, then corrected (NTP)', 3_600_000, 0],
  ])('a file written after the wall clock was %s sorts after the one written before', { timeout: 60_000 }, async (_, startMs, offsetMs) => {
    const spillDir = join(tempDir(), 'spill');
    const run = await startChildScript(CHILD, { spillDir, offsetMs }, { preload: STEPPED_CLOCK, env: { PROVQ_FAKE_CLOCK_OFFSET_MS: String(startMs) } }).done;
    expect(run.code, run.stderr).toBe(0);
    const { written, byName } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { written: string[]; byName: string[] };
    expect(written).toHaveLength(2);
    expect(byName).toEqual(written);
  });
});
