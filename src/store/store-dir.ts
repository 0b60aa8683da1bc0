// The store directory's safety: created 0700 (LMDB's files are opened 0600), and a directory
// that group or others can write is tightened when it is ours and refused when it is not —
// the spill directory's rule, since whoever can write here can rewrite every record's history.
import { join } from 'node:path';
import fse from 'fs-extra';
import { StoreOpenError } from '../errors.js';

/** LMDB's files: the data file and its lock file. */
export const STORE_FILE_MODE = 0o600;
const GROUP_OR_OTHERS_WRITE = 0o022;
const GROUP_OR_OTHERS_ANY = 0o077;

/** Creates the store directory (0700) or checks an existing one; throws StoreOpenError naming it. */
export async function ensureStoreDir(path: string): Promise<void> {
  let st: fse.Stats;
  try {
    st = await statOrCreate(path);
  } catch (err) {
    throw new StoreOpenError(explainOpenFailure(path, err), { cause: err });
  }
  if (!st.isDirectory()) throw new StoreOpenError(`store path ${path} is not a directory; pass a directory path (it is created if missing)`);
  if ((st.mode & GROUP_OR_OTHERS_WRITE) !== 0) {
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new StoreOpenError(
        `store directory ${path} is writable by group or others and belongs to uid ${st.uid}, not this process (uid ${uid}); ` +
          `anyone could rewrite its history: use a directory you own, or have its owner run chmod go-w on it`,
      );
    }
    await fse.chmod(path, st.mode & 0o777 & ~GROUP_OR_OTHERS_ANY);
  }
  try {
    await fse.access(path, fse.constants.W_OK);
  } catch (err) {
    throw new StoreOpenError(explainOpenFailure(path, err), { cause: err });
  }
}

/** LMDB files made by an earlier version (0644): readable by all. Ours are tightened to 0600. */
export async function tightenStoreFiles(path: string, file: string): Promise<void> {
  const uid = process.getuid?.();
  for (const name of [file, `${file}-lock`]) {
    const st = await fse.stat(join(path, name)).catch(() => null);
    if (st && (st.mode & GROUP_OR_OTHERS_ANY) !== 0 && (uid === undefined || st.uid === uid)) {
      await fse.chmod(join(path, name), STORE_FILE_MODE);
    }
  }
}

async function statOrCreate(path: string): Promise<fse.Stats> {
  try {
    return await fse.stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fse.mkdir(path, { recursive: true, mode: 0o700 });
  // mkdir's mode passes through the umask, which can only take bits away: 0700 or tighter.
  await fse.chmod(path, 0o700);
  return fse.stat(path);
}

function explainOpenFailure(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    return `store path ${path} is not a directory; pass a directory path (it is created if missing)`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return `store path ${path} is not writable (${code}); choose a directory you can write to`;
  }
  return `cannot create the store directory ${path}: ${(err as Error).message}`;
}
