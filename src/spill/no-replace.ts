// Moves a finished temp file to its final name without ever replacing a file already there:
// link(2) fails with EEXIST where rename(2) would silently replace (names can collide on pid
// reuse or a clock step). The caller picks another name on EEXIST.
import { linkSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { link, lstat, rename, unlink } from 'node:fs/promises';
import { SpillFileExistsError } from '../errors.js';

/** Filesystems without hard links: fall back to a checked rename (a narrow race, no better there). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function eexist(target: string): SpillFileExistsError {
  return new SpillFileExistsError(`${target} exists already; a spill file is never replaced (another name is picked)`);
}

/** link(2)'s EEXIST, or the same from the fallback for filesystems without hard links. */
export function isExists(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'EEXIST' || err instanceof SpillFileExistsError;
}

/** Throws EEXIST (see isExists) when `target` exists; `tmp` is then left in place for the caller. */
export function publishNoReplaceSync(tmp: string, target: string): void {
  try {
    linkSync(tmp, target);
  } catch (err) {
    if (!NO_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    if (exists(target)) throw eexist(target);
    renameSync(tmp, target);
    return;
  }
  unlinkSync(tmp);
}

export async function publishNoReplace(tmp: string, target: string): Promise<void> {
  try {
    await link(tmp, target);
  } catch (err) {
    if (!NO_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    if (await lstat(target).then(() => true, () => false)) throw eexist(target);
    await rename(tmp, target);
    return;
  }
  await unlink(tmp);
}
