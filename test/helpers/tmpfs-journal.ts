// A store's journal dir on a small real tmpfs, a child process journaling into it, killed with
// -9, then a fresh queue on the store reading the journal back: the journal's disk-full tests.
// close() in the test's `finally` cleans up also when it fails: the child killed and awaited
// first (it holds files on the mount), then the tmpfs unmounted (lazily if still busy).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startChildScript, type RunningChild } from '../../faults/child.js';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import { silentLogger } from '../../src/log.js';
import type { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { until } from './until.js';

export interface TmpfsJournal {
  /** The store's journal dir: the tmpfs's mount point. */
  dir: string;
  /** Starts the child script that journals into it (faults/child.ts), with `config` as its argument. */
  start(script: string, config: unknown): RunningChild;
  /** Kills the child with -9, as a crash, and checks that is what ended it (not an error of its own before). */
  crash(): Promise<void>;
  /** Gives back the space the child's filler took (the file `filler`, test/helpers/fill-but.ts). */
  spaceBack(): void;
  /** The child killed and awaited if it runs, the tmpfs unmounted. For a `finally`. */
  close(): Promise<void>;
}

/** Mounts a tmpfs of `sizeMiB` as the journal dir of the store at `path` (which has none yet). */
export function tmpfsJournal(path: string, sizeMiB: number): TmpfsJournal {
  const dir = join(path, JOURNAL_DIR_NAME);
  mkdirSync(dir, { mode: 0o700 });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mounting a ${sizeMiB} MiB tmpfs on ${dir} failed: ${mounted.stderr}`);
  let child: RunningChild | undefined;
  return {
    dir,
    start(script, config) {
      child = startChildScript(script, config);
      return child;
    },
    async crash() {
      child!.kill('SIGKILL');
      const ended = await child!.done;
      expect(ended.signal, ended.stderr).toBe('SIGKILL');
    },
    spaceBack: () => rmSync(join(dir, 'filler'), { force: true }),
    async close() {
      child?.kill('SIGKILL');
      await child?.done;
      if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    },
  };
}

/**
 * A fresh queue on the store at `path` reads its journal back: waits until every segment is
 * dealt with — applied and deleted, or set aside (renamed .failed-…) — and its claim dir let
 * go, then flushes; `read` looks at the result before the store is closed.
 */
export async function readJournalBack<T>(path: string, read: (store: LmdbMemoryStore, queue: ProvenanceWriteQueue) => Promise<T>): Promise<T> {
  const dir = join(path, JOURNAL_DIR_NAME);
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  try {
    const queue = store.enableProvenanceQueue({ idlePollMs: 50, exitHook: false });
    const waiting = () => readdirSync(dir).filter((n) => isJournalSegmentName(n) || n.endsWith('.lock'));
    await until(() => waiting().length === 0, 60_000);
    expect(waiting(), 'segments and claim dirs not dealt with in 60 s').toEqual([]);
    expect(await queue.flush(30_000), 'flushed after the read-back').toBe(true);
    return await read(store, queue);
  } finally {
    await store.close();
  }
}
