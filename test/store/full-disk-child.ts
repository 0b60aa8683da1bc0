// Harness for the full-disk store tests (insert-failure, open-failure), run as a real child
// process: lmdb-js 3.5.6 overruns a 100-byte malloc with its write-error message on some
// failed commits (docs/guarantees.md, "The store's own disk full") and the process may then
// die of glibc's heap checks ("corrupted size vs. prev_size"). Here such a crash ends this
// child — the test sees its exit code or signal — never the vitest worker. The test's own
// assertions run in the parent, on what this child prints: one JSON line, a FullDiskReport.
// - 'insert': opens the store, fills its disk (`filler`), inserts a record of `recordBytes`;
//   frees the disk and inserts a small one under the same id.
// - 'append': opens the store, inserts record r1, fills the disk, appends 40 pairs of 64 KiB
//   (async, then sync); frees the disk and appends them again.
// - 'open': opens a store whose disk is full already (the parent filled it).
// - 'open-beside-other': the same, while another store (`otherPath`) is open in this process.
import { rmSync } from 'node:fs';
import { fillDisk } from '../../faults/fill-disk.js';
import { StoreOpenError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { isLmdbCommitFailure } from '../../src/store/lmdb-commit-guard.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

export interface FullDiskCase {
  case: 'insert' | 'append' | 'open' | 'open-beside-other';
  storePath: string;
  /** The file that fills the store's disk ('insert', 'append'). */
  filler?: string;
  /** 'open-beside-other': the store open meanwhile. */
  otherPath?: string;
  /** 'insert': the record's size (more than any free page left in the map's file). */
  recordBytes?: number;
}

/** What a call threw or rejected with, as far as the tests look at it. */
export interface ErrorSeen {
  code: unknown;
  message: string;
  isStoreOpenError: boolean;
  /** The commit guard would take it for lmdb's hidden batch promise, and swallow it. */
  lmdbCommitFailure: boolean;
  causeIsLmdbCommitFailure: boolean;
}

export interface FullDiskReport {
  /** The full-disk call's failure (null: it succeeded). */
  error: ErrorSeen | null;
  /** 'append': the sync call's failure. */
  syncError?: ErrorSeen | null;
  /** 'insert': what insert returned once space was back, and the record's text then. */
  insertedAfter?: string;
  textAfter?: string;
  /** 'append': the cues of r1, oldest first, once space was back and the pairs appended again. */
  cuesAfter?: string[];
  /** 'open': listeners on 'unhandledRejection' before and after the failed open. */
  listenersBefore?: number;
  listenersAfter?: number;
}

function seen(err: unknown): ErrorSeen | null {
  if (err === null) return null;
  const e = err as Error & { code?: unknown };
  return {
    code: e.code,
    message: String(e.message),
    isStoreOpenError: err instanceof StoreOpenError,
    lmdbCommitFailure: isLmdbCommitFailure(err),
    causeIsLmdbCommitFailure: isLmdbCommitFailure(e.cause),
  };
}

/** What a promise rejected with (null when it resolved). */
const rejectionOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
    return null;
  } catch (e) {
    return e;
  }
}

const open = (path: string) => LmdbMemoryStore.open({ path, logger: silentLogger });

async function insertCase(cfg: FullDiskCase): Promise<FullDiskReport> {
  const store = await open(cfg.storePath);
  fillDisk(cfg.filler!);
  const big = 'x'.repeat(cfg.recordBytes!);
  const error = seen(await rejectionOf(store.insert({ id: 'r1', text: big })));
  rmSync(cfg.filler!);
  const insertedAfter = await store.insert({ id: 'r1', text: 'now it fits' });
  const textAfter = (await store.get('r1'))?.text;
  await store.close();
  return { error, insertedAfter, textAfter };
}

async function appendCase(cfg: FullDiskCase): Promise<FullDiskReport> {
  const store = await open(cfg.storePath);
  await store.insert({ id: 'r1', text: 'a memory' });
  fillDisk(cfg.filler!);
  const pad = 'p'.repeat(64 * 1024);
  const pairs: ProvenancePair[] = Array.from({ length: 40 }, (_, i) => ['r1', { ts: new Date().toISOString(), cue: `c${i}`, sessionId: 's1', pad }]);
  const error = seen(await rejectionOf(store.appendProvenanceBatch(pairs)));
  const syncError = seen(thrownBy(() => store.appendProvenanceBatchSync(pairs)));
  rmSync(cfg.filler!);
  await store.appendProvenanceBatch(pairs);
  const cuesAfter = (await store.get('r1'))?.provenance.map((e) => e.cue);
  await store.close();
  return { error, syncError, cuesAfter };
}

async function openCase(cfg: FullDiskCase): Promise<FullDiskReport> {
  const other = cfg.otherPath ? await open(cfg.otherPath) : null;
  const listenersBefore = process.listenerCount('unhandledRejection');
  const error = seen(await rejectionOf(open(cfg.storePath)));
  const listenersAfter = process.listenerCount('unhandledRejection');
  await other?.close();
  return { error, listenersBefore, listenersAfter };
}

const cfg = JSON.parse(process.argv[2]!) as FullDiskCase;
const report = cfg.case === 'insert' ? await insertCase(cfg) : cfg.case === 'append' ? await appendCase(cfg) : await openCase(cfg);
process.stdout.write(`${JSON.stringify(report)}\n`);
