// A spill file as a reader saw it: its inode, length and mtime when it was opened. A file
// that is not that one any more when its pairs are durable — appended to by hand after the
// read (a `grep … > spill/rescued.jsonl` still running), or replaced — is not deleted on
// the strength of a read that never saw the change: it is read again (the lines applied
// already keep their entry ids, so they are no-ops), and only then deleted.
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { SpillFileChangedError } from '../errors.js';

export function fileVersion(st: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * Throws SpillFileChangedError when the file at `path` is no longer the one read as
 * `version`; a file gone already passes (nothing of it is left to delete).
 */
export async function assertUnchangedSince(path: string, name: string, version: string): Promise<void> {
  let now: string;
  try {
    now = fileVersion(await lstat(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (now !== version) {
    throw new SpillFileChangedError(`spill file ${name} changed after it was read back (written to since); it is kept and read again — write a file elsewhere and move it into the spill directory`);
  }
}


