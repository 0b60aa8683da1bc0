// The spill directory: created on the first spill only (0700), refused when it is a
// symlink, not a directory, or another user's; closed to 0700 when others could use it. Lists the files waiting to be imported.
import { join } from 'node:path';
import fse from 'fs-extra';
import { SpillDirError } from '../errors.js';
import { isPendingName, isQuarantinedName } from './spill-file-name.js';

/** Checks an existing spill dir; returns false when it does not exist yet. */
export async function checkSpillDir(dir: string): Promise<boolean> {
  let st: fse.Stats;
  try {
    st = await fse.lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new SpillDirError(`cannot read spill directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  assertSafe(dir, st);
  return true;
}

export function checkSpillDirSync(dir: string): boolean {
  let st: fse.Stats;
  try {
    st = fse.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new SpillDirError(`cannot read spill directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  assertSafe(dir, st);
  return true;
}

export async function ensureSpillDir(dir: string): Promise<void> {
  if (await checkSpillDir(dir)) return;
  await fse.mkdir(dir, { recursive: true, mode: 0o700 });
  await checkSpillDir(dir);
}

/** Returns the first directory it made (the one whose parent gained an entry), if it made any. */
export function ensureSpillDirSync(dir: string): string | undefined {
  if (checkSpillDirSync(dir)) return undefined;
  const made = fse.mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkSpillDirSync(dir);
  return made;
}

function assertSafe(dir: string, st: fse.Stats): void {
  if (st.isSymbolicLink()) {
    throw new SpillDirError(`spill directory ${dir} is a symlink; point spillDir at a real directory`);
  }
  if (!st.isDirectory()) {
    throw new SpillDirError(`spill directory ${dir} is not a directory; remove it or choose another spillDir`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new SpillDirError(
      `spill directory ${dir} belongs to uid ${st.uid}, not this process (uid ${uid}); use a directory you own`,
    );
  }
  if (st.mode & 0o077) tighten(dir, st.mode);
}

/**
 * A directory of ours that others may read or write into (a pre-existing 0777, say):
 * closed to 0700 before anything in it is read, or refused when that fails.
 */
function tighten(dir: string, mode: number): void {
  try {
    fse.chmodSync(dir, 0o700);
  } catch (err) {
    throw new SpillDirError(
      `spill directory ${dir} is open to others (mode 0${(mode & 0o777).toString(8)}) and cannot be closed (${(err as Error).message}); chmod 700 it`,
      { cause: err },
    );
  }
}

export interface SpillListing {
  /** Regular `*.jsonl` files waiting to be imported, oldest first. */
  pending: string[];
  /** Quarantined files, oldest first. */
  quarantined: string[];
  /** `*.jsonl` entries that are not regular files (directories, symlinks): never followed. */
  skipped: string[];
  /** Claim directories (`<file>.lock`) held by some process. */
  claims: string[];
}

export async function listSpillDir(dir: string): Promise<SpillListing> {
  const listing: SpillListing = { pending: [], quarantined: [], skipped: [], claims: [] };
  let entries: fse.Dirent[];
  try {
    entries = await fse.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return listing;
    throw err;
  }
  for (const e of entries) {
    if (e.name.endsWith('.jsonl.lock')) {
      if (e.isDirectory()) listing.claims.push(e.name);
      continue;
    }
    if (!e.name.endsWith('.jsonl')) continue;
    if (!e.isFile()) listing.skipped.push(e.name);
    else if (isQuarantinedName(e.name)) listing.quarantined.push(e.name);
    else if (isPendingName(e.name)) listing.pending.push(e.name);
  }
  listing.pending.sort();
  listing.quarantined.sort();
  listing.claims.sort();
  return listing;
}

export function spillPath(dir: string, name: string): string {
  return join(dir, name);
}
