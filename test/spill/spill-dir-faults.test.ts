// A spill directory as an operator's bad day leaves it: a path through a regular file, a
// regular file where the directory should be, a directory that cannot be listed, an owner
// marker that is a directory or not the marker's JSON. Each is an error that names the
// path and what to do; none reads as "nothing pending".
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpillDirError, SpillDirOwnedError } from '../../src/errors.js';
import { assertDirOwner, OWNER_FILE } from '../../src/spill/dir-owner.js';
import { checkSpillDir, checkSpillDirSync, ensureSpillDir, listSpillDir } from '../../src/spill/spill-dir.js';
import { tempDir } from '../helpers/temp.js';

/** A path whose parent is a regular file: lstat fails with ENOTDIR, not ENOENT. */
function underAFile(): string {
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'not a directory');
  return join(file, 'spill');
}

describe('spill directory faults', () => {
  // Checked: with the SpillDirError's message made `` (spill-dir.ts, async and sync
  // checks), or its `{ cause }` made `{}`, this failed on the message or the cause.
  it('a spill dir whose path runs through a regular file is refused, naming it and the cause', async () => {
    const dir = underAFile();
    for (const check of [() => checkSpillDir(dir), async () => checkSpillDirSync(dir), () => ensureSpillDir(dir)]) {
      const err = await check().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SpillDirError);
      expect((err as SpillDirError).message).toBe(`cannot read spill directory ${dir}: ${((err as Error).cause as Error).message}`);
      expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    }
  });

  // Checked: with the not-a-directory block emptied (`{}`), the file was taken for a spill
  // dir (checkSpillDir answered true); with its message made ``, the message was empty.
  it('a regular file where the spill dir should be is refused with what to do', async () => {
    const dir = join(tempDir(), 'spill');
    writeFileSync(dir, '');
    await expect(checkSpillDir(dir)).rejects.toThrow(new SpillDirError(`spill directory ${dir} is not a directory; remove it or choose another spillDir`));
  });

  // Checked: with listSpillDir's `code === 'ENOENT'` made `true` (or its catch block
  // emptied), a directory that cannot be listed read as an empty backlog.
  it('a spill dir that cannot be listed is an error, not an empty backlog; one not made yet is empty', async () => {
    await expect(listSpillDir(underAFile())).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await listSpillDir(join(tempDir(), 'not-yet'))).toEqual({ pending: [], quarantined: [], skipped: [], claims: [] });
  });

  // Checked: with the marker's read error answer emptied (dir-owner.ts, `{}`), the
  // directory-as-marker was taken as a marker-less dir and marked: no error.
  it('an owner marker that is a directory is refused, naming the marker and the error', () => {
    const dir = tempDir();
    mkdirSync(join(dir, OWNER_FILE));
    expect(() => assertDirOwner(dir, 'sink-a', 'spill directory')).toThrow(SpillDirOwnedError);
    expect(() => assertDirOwner(dir, 'sink-a', 'spill directory')).toThrow(/\.provq-sink cannot be read \(EISDIR: illegal operation on a directory, read\); if the directory is this store's, delete the marker/);
  });

  // Checked: with the not-JSON reason made "", the message said "cannot be read ()".
  it('an owner marker that is not {"sinkId": …} is refused, saying so', () => {
    const dir = tempDir();
    writeFileSync(join(dir, OWNER_FILE), '{"owner":"sink-a"}\n');
    expect(() => assertDirOwner(dir, 'sink-a', 'spill directory')).toThrow(/cannot be read \(it is not \{"sinkId": "\.\.\."\}\)/);
  });

  // Checked: with `code === 'ENOTDIR'` made `false` (or `!==`), a path through a file was
  // an unreadable marker (SpillDirOwnedError) instead of a dir that does not exist yet.
  it('a spill dir that cannot exist (its path runs through a file) is not marked, and is not an ownership error', () => {
    expect(assertDirOwner(underAFile(), 'sink-a', 'spill directory')).toBe(false);
  });
});
