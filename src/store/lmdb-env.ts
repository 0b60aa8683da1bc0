// The LMDB environment a store opens, with the lmdb-js options its guarantees depend on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { StoreOpenError } from '../errors.js';
import { STORE_FILE_MODE } from './store-dir.js';
import { STORE_FILE } from './store-layout.js';

/** lmdb-js's `batchStartThreshold` (puts per event turn before it starts the transaction early): never. */
const NEVER_START_BATCH_EARLY = 2 ** 31 - 1;
/**
 * LMDB's memory map of the store file: address space only (the file grows with its data).
 * lmdb-js starts a map at 128 KiB and doubles it as the data pass it; when another process
 * has grown the file, the next transaction begun in this one resizes the map, and a read
 * begun on the main thread and a write begun on lmdb's writer thread could both do it at
 * once, unlocked (lmdb 3.5.6: mdb_txn_renew0 -> mdb_env_set_mapsize): both listed the same
 * old map, one with the new size, and closing the store unmapped memory it was still walking
 * (SIGSEGV). A map this large is never resized while the store holds less than this.
 */
const LMDB_MAP_BYTES = 64 * 2 ** 30;
/** Named databases: records, provenance, meta. */
const MAX_DBS = 4;
/** Under an address-space limit (`ulimit -v`), the map takes at most 1/this of it. */
const MAP_SHARE_OF_LIMIT = 4;
const MIB = 2 ** 20;

/**
 * The map size for this process: {@link LMDB_MAP_BYTES}, or a quarter of a `ulimit -v` that
 * would not leave room for it (lmdb-js ends the process with SIGSEGV when its map cannot be
 * made, instead of throwing).
 */
function storeMapBytes(limitBytes = readAddressSpaceLimit()): number {
  if (limitBytes === null) return LMDB_MAP_BYTES;
  return Math.max(MIB, Math.min(LMDB_MAP_BYTES, Math.floor(limitBytes / MAP_SHARE_OF_LIMIT / MIB) * MIB));
}

/** The soft address-space limit in bytes from /proc/self/limits; null when unlimited or not Linux. */
function readAddressSpaceLimit(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
  const soft = Number(/^Max address space\s+(\d+)/m.exec(text)?.[1]);
  return Number.isFinite(soft) ? soft : null; // 'unlimited' (or a line this parser does not know)
}

/** Opens `<path>/store.mdb`; throws StoreOpenError saying why it could not. */
export function openStoreEnv(path: string): RootDatabase {
  try {
    // overlappingSync off: a resolved write is flushed to disk, not only committed.
    // batchStartThreshold never reached: lmdb-js would start a turn's transaction at 1,000
    // puts and hold it until its next-iteration setImmediate; a process.exit in between hung
    // for ever. Unstarted, the batch is dropped at exit and the exit drain writes its pairs.
    return open({
      path: join(path, STORE_FILE),
      overlappingSync: false,
      batchStartThreshold: NEVER_START_BATCH_EARLY,
      mapSize: storeMapBytes(),
      maxDbs: MAX_DBS,
      permissionsMode: STORE_FILE_MODE,
    } as Parameters<typeof open>[0]);
  } catch (err) {
    throw new StoreOpenError(`cannot open the LMDB store in ${path}: ${(err as Error).message}`, { cause: err });
  }
}
