// Opens the store a command works on, which must already exist: replaying a spill dir into
// a new, empty store would skip every pair (unknown records). `--store PATH` is an LMDB
// store; `--postgres URL --dir SPILLDIR` a PostgresMemoryStore (this host's spill dir).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fse from 'fs-extra';
import { silentLogger } from '../log.js';
import type { ProvenancePair } from '../schemas.js';
import type { SinkWriteContext, SinkWriteResult } from '../sink.js';
import { LmdbMemoryStore } from '../store/lmdb-memory-store.js';
import type { MemoryRecord, StoreStats } from '../store/memory-record.js';
import { PostgresMemoryStore } from '../store/postgres-memory-store.js';
import { postgresStoreExists } from '../store/postgres/tables.js';
import { SPILL_DIR_NAME, STORE_FILE } from '../store/store-layout.js';
import { CommandError } from '../errors.js';

/** What the commands need of a store, LMDB or Postgres. */
export interface CliStore {
  /** The store's path or (password hidden) database, for messages. */
  readonly label: string;
  /** Its spill dir: `<path>/provenance-overflow`, or the --dir given with --postgres. */
  readonly spillDir: string;
  /** Whose spill and journal dirs these are (`.provq-sink`). */
  readonly sinkId: string;
  appendProvenanceBatch(pairs: ProvenancePair[], context?: SinkWriteContext): Promise<SinkWriteResult | void>;
  get(id: string): Promise<MemoryRecord | undefined>;
  stats(): StoreStats | Promise<StoreStats>;
  historyCounts(): Iterable<{ id: string; entries: number }> | Promise<{ id: string; entries: number }[]>;
  close(): Promise<void>;
}

export interface StoreTarget {
  store?: string | undefined;
  postgres?: string | undefined;
  schema?: string | undefined;
  dir?: string | undefined;
}

export async function openTargetStore(target: StoreTarget): Promise<CliStore> {
  // Commands that only read (stats) need no spill dir: the store gets one it never writes to.
  if (target.postgres !== undefined) return openExistingPostgresStore(target.postgres, target.schema, target.dir ?? join(tmpdir(), 'provq-cli-reads-only'));
  const store = await openExistingStore(target.store!);
  return Object.assign(store, { label: store.path, spillDir: join(store.path, SPILL_DIR_NAME) });
}

export async function openExistingStore(path: string): Promise<LmdbMemoryStore> {
  await assertStoreDir(path);
  return LmdbMemoryStore.open({ path, logger: silentLogger });
}

/** Throws CommandError unless `path` is the directory of an existing LMDB store (nothing is opened or created). */
export async function assertStoreDir(path: string): Promise<void> {
  const st = await fse.stat(path).catch(() => undefined);
  if (!st) throw new CommandError(`--store ${path}: no such directory; pass the directory of an existing store`);
  if (!st.isDirectory()) throw new CommandError(`--store ${path}: not a directory; pass the directory of an existing store`);
  if (!(await fse.pathExists(join(path, STORE_FILE)))) {
    throw new CommandError(`--store ${path}: no store there (no ${STORE_FILE}); pass the directory of an existing store`);
  }
}

async function openExistingPostgresStore(url: string, schema: string | undefined, spillDir: string): Promise<CliStore> {
  const opts = { connectionString: url, spillDir, logger: silentLogger, ...(schema ? { schema } : {}) };
  const exists = await postgresStoreExists(url, schema ?? 'provq').catch((err: Error) => {
    throw new CommandError(`--postgres: cannot reach the database: ${err.message}; check that the server is up and the URL is right`);
  });
  if (!exists) {
    throw new CommandError(`--postgres: no store in schema ${schema ?? 'provq'} of that database (no records table); pass --schema NAME if the store uses another schema`);
  }
  const store = await PostgresMemoryStore.open(opts);
  return Object.assign(store, { label: store.location });
}
