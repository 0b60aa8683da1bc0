// A fault row's scratch dirs (faults/scenario.ts) carry the pid of the process that made them,
// and go when the row ends — when it throws, and when it ends after its caller gave up on it
// (a test's timeout) while another row runs — mounts under them included.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeScratchDirs, runRow, scratchDir } from '../../faults/scenario.js';
import { sweepStaleTestDirs } from '../helpers/stale-test-dirs.js';
import { tempDir } from '../helpers/temp.js';

afterAll(removeScratchDirs);

const mounted = (dir: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(dir)).length;

/** A promise and the function that settles it. */
function held(): { wait: Promise<void>; release: () => void } {
  let release!: () => void;
  const wait = new Promise<void>((r) => (release = r));
  return { wait, release };
}

describe("a fault row's scratch dirs", () => {
  // Checked: without the pid in scratchDir's name the first expectation fails; with runRow's
  // finally turned into a removal after a row that returned (no try/finally), the dir and its
  // tmpfs stay after the throw; with plain rmSync instead of takeDownDir, rmSync fails on the
  // mount point (EBUSY) and the tmpfs stays mounted.
  it('are named with the pid, and are removed with a tmpfs mounted in them when the row throws', async () => {
    let dir = '';
    const row = runRow(async () => {
      dir = scratchDir('row-throws');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
      throw new Error('the row failed');
    });
    await expect(row).rejects.toThrow('the row failed');
    expect(basename(dir)).toMatch(new RegExp(`^provq-faults-row-throws-p${process.pid}-[A-Za-z0-9]{6}$`));
    const left = { exists: existsSync(dir), mounts: mounted(dir) };
    if (left.mounts > 0) spawnSync('umount', ['-l', dir]);
    expect(left).toEqual({ exists: false, mounts: 0 });
  });

  // Checked: with runRow removing every scratch dir made so far (removeScratchDirs) instead of
  // its own, row B's dir is gone when row A ends, and this fails.
  it('of a row that ends late (its test timed out) are removed, and those of the row running by then are not', async () => {
    const a = held();
    const b = held();
    let aDir = '';
    let bDir = '';
    const rowA = runRow(async () => {
      aDir = scratchDir('row-late');
      await a.wait;
    });
    const rowB = runRow(async () => {
      bDir = scratchDir('row-next');
      await b.wait;
    });
    expect([existsSync(aDir), existsSync(bDir)]).toEqual([true, true]);
    a.release();
    await rowA;
    expect([existsSync(aDir), existsSync(bDir)]).toEqual([false, true]);
    b.release();
    await rowB;
    expect(existsSync(bDir)).toBe(false);
  });

  // Checked: with the sweep's name pattern back to letters and dashes only, the dir of the
  // 'shared-kill9' row stays.
  it('left by a killed run are swept by the next test run, a row name with digits too', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    const root = tempDir('provq-sweep-');
    const dir = join(root, `provq-faults-shared-kill9-p${gone.pid}-AbC123`);
    mkdirSync(dir);
    expect(sweepStaleTestDirs(root)).toEqual([dir]);
    expect(existsSync(dir)).toBe(false);
  });
});
