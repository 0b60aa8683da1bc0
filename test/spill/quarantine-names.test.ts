// Quarantine names and abandoned temp files, on a bad day: two files of the same name
// quarantined in the same millisecond (a clock that does not move, a burst of bad files),
// an abandoned spill write that never got a byte, a spill dir that is not there yet.
import { readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { quarantineSpillFile } from '../../src/spill/quarantine.js';
import { listSpillDir } from '../../src/spill/spill-dir.js';
import { recoverAbandonedTmpFiles } from '../../src/spill/stale-tmp.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const DEAD_PID = 2 ** 22 + 17; // above Linux's pid_max default: no such process

afterEach(() => {
  vi.useRealTimers();
});

describe('quarantine names', () => {
  // Checked: with the EEXIST catch block emptied (quarantine.ts), the second and third
  // quarantines threw instead of picking the next name; with `isExists(err)` made `true`
  // or `false` they threw or looped on the same name; with `++now` made `--now`, the later
  // files were named for earlier milliseconds and listed before the first.
  it('three files of one name quarantined in the same millisecond each keep their own copy, listed in the order they were quarantined', async () => {
    const dir = tempDir();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const texts = ['first', 'second', 'third'].map((cue) => `${handLine('r1', cue)}\n`);
    const names: string[] = [];
    for (const text of texts) {
      writeRawFile(dir, 'bad.jsonl', text);
      names.push(await quarantineSpillFile(dir, 'bad.jsonl', 'by hand'));
    }
    expect(new Set(names).size).toBe(3);
    expect((await listSpillDir(dir)).quarantined).toEqual(names);
    names.forEach((n, i) => expect(readFileSync(join(dir, n), 'utf8')).toBe(texts[i]));
    const reasons = names.map((n) => JSON.parse(readFileSync(join(dir, `${n}.reason.json`), 'utf8')) as { quarantinedAs: string; at: string });
    expect(reasons.map((r) => r.quarantinedAs)).toEqual(names);
    expect(reasons.map((r) => r.at)).toEqual([...reasons.map((r) => r.at)].sort());
  });

  // Checked: with `if (!isExists(err)) throw err` made `if (false)`, the quarantine of a
  // file already gone looped on new names and never settled (this test timed out).
  it('quarantining a file another process removed meanwhile fails with its error, naming nothing', async () => {
    const dir = tempDir();
    await expect(quarantineSpillFile(dir, 'gone.jsonl', 'by hand')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  }, 10_000);
});

describe('abandoned spill writes', () => {
  // Checked: with the empty file's branch emptied (stale-tmp.ts), the 0-byte temp file
  // stayed in the spill dir, counted as handled at every start.
  it('an abandoned write that never got a byte is removed, with nothing quarantined', async () => {
    const dir = tempDir();
    const tmp = `1700000000000-000009-${DEAD_PID}.jsonl.tmp`;
    writeRawFile(dir, tmp, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, tmp), old, old);
    expect(await recoverAbandonedTmpFiles(dir, silentLogger)).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  // Checked: with the readdir failure's block emptied, this threw a TypeError (the names
  // were undefined) instead of answering 0.
  it('in a spill dir that does not exist yet there is nothing to recover', async () => {
    expect(await recoverAbandonedTmpFiles(join(tempDir(), 'not-yet'), silentLogger)).toBe(0);
  });
});
