// The spill directory: created on the first spill only (0700), refused when it is a
// symlink, not a directory, or another user's; closed to 0700 when others could use it.
// Remembers the directories it made until a writer has made their names durable. Lists
// the files waiting to be imported.
import { dirname, join } from 'node:path';
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
  const made = (await fse.mkdir(dir, { recursive: true, mode: 0o700 })) as string | undefined;
  if (made !== undefined) madeNotDurable.set(dir, parentsOfMade(made, dir));
  await checkSpillDir(dir);
}

export function ensureSpillDirSync(dir: string): void {
  if (checkSpillDirSync(dir)) return;
  const made = fse.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made !== undefined) madeNotDurable.set(dir, parentsOfMade(made, dir));
  checkSpillDirSync(dir);
}

/**
 * Spill dirs this process made, with the directories holding their new names (the parent of
 * the first one made, and each made one above the spill dir): a file in a new spill dir is
 * durable only once those are fsync'd too, since fsync of the file or of its own directory
 * does not write its directory's name into the parent (POSIX). Kept until a writer did so.
 */
const madeNotDurable = new Map<string, string[]>();

function parentsOfMade(made: string, dir: string): string[] {
  const dirs: string[] = [];
  for (let d = dir; d !== made && dirname(d) !== d; d = dirname(d)) dirs.unshift(dirname(d));
  return [dirname(made), ...dirs.filter((d) => d !== dirname(made))];
}

/** The directories to fsync, besides `dir` itself, before a file written there counts as durable. */
export function parentsNotDurable(dir: string): string[] {
  return madeNotDurable.get(dir) ?? [];
}

/** `synced` (what parentsNotDurable gave) has been fsync'd: the names in them are durable. */
export function parentsDurable(dir: string, synced: readonly string[]): void {
  if (synced.length > 0 && madeNotDurable.get(dir)?.every((d) => synced.includes(d))) madeNotDurable.delete(dir);
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
