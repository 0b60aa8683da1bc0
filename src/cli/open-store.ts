// Opens a store that must already exist: replaying a spill dir into a new, empty store would
// skip every pair (unknown records) and delete the files.
import { join } from 'node:path';
import fse from 'fs-extra';
import { silentLogger } from '../log.js';
import { LmdbMemoryStore } from '../store/lmdb-memory-store.js';
import { STORE_FILE } from '../store/store-layout.js';
import { CommandError } from '../errors.js';


export async function openExistingStore(path: string): Promise<LmdbMemoryStore> {
  const st = await fse.stat(path).catch(() => undefined);
  if (!st) throw new CommandError(`--store ${path}: no such directory; pass the directory of an existing store`);
  if (!st.isDirectory()) throw new CommandError(`--store ${path}: not a directory; pass the directory of an existing store`);
  if (!(await fse.pathExists(join(path, STORE_FILE)))) {
    throw new CommandError(`--store ${path}: no store there (no ${STORE_FILE}); pass the directory of an existing store`);
  }
  return LmdbMemoryStore.open({ path, logger: silentLogger });
}
