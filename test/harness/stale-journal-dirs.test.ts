// A queue whose spill dir is a test dir keeps its journal beside it, `<test dir>-journal`,
// outside the dir a test file removes. Session 13 found 8 empty ones left in /tmp by a loaded
// full run, and the sweep at the start of the next run did not take them: its pattern ended
// at the test dir's name. Checked: with the pattern as it was, the dead process's journal
// dir stays and this fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepStaleTestDirs } from '../helpers/stale-test-dirs.js';
import { tempDir } from '../helpers/temp.js';

describe('sweeping what killed test runs left', () => {
  it("takes a dead process's <test dir>-journal too, and leaves a live one's", () => {
    const root = tempDir('provq-sweep-');
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // exited: its pid names no process now
    const deadJournal = join(root, `provq-test-p${dead}-AbC123-journal`);
    const liveJournal = join(root, `provq-test-p${process.pid}-AbC123-journal`);
    mkdirSync(deadJournal);
    mkdirSync(liveJournal);
    expect(sweepStaleTestDirs(root)).toEqual([deadJournal]);
    expect(existsSync(deadJournal)).toBe(false);
    expect(existsSync(liveJournal)).toBe(true);
  });
});
