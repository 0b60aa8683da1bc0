// libuv's thread pool, held or waited for: a test of work the library hands to the pool (an
// unlink, an fsync) holds the pool so that work waits, deterministically, or lets what was
// queued before it run.
import { execFileSync } from 'node:child_process';
import { closeSync, open, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The pool's threads: UV_THREADPOOL_SIZE as libuv reads it (4 by default, at most 1024). */
export function threadPoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/**
 * Holds every thread of the pool: each one opens a FIFO for reading, which blocks until a
 * writer opens it; work queued after them waits (the pool takes its work in order).
 * `release()` opens the FIFO for writing from this thread (the pool is held) and keeps it
 * open until every reader has returned; call it also when the test fails (an afterEach).
 */
export function holdThreadPool(dir: string): { release: () => Promise<void> } {
  const fifo = join(dir, 'hold-pool.fifo');
  execFileSync('mkfifo', [fifo]);
  // Each reader's descriptor is closed here, on this thread: a close in the pool could wait behind a later hold.
  const readers = Array.from({ length: threadPoolSize() }, () => new Promise<number>((resolve, reject) => open(fifo, 'r', (err, fd) => (err ? reject(err) : resolve(fd)))));
  let released: Promise<void> | null = null;
  return {
    release: () =>
      (released ??= (async () => {
        const w = openSync(fifo, 'w'); // returns once a reader is in open; later readers then return at once
        try {
          for (const fd of await Promise.all(readers)) closeSync(fd);
        } finally {
          closeSync(w);
        }
      })()),
  };
}

/** Lets the work queued in the pool before this call be picked up and run (two rounds of one cheap call a thread). */
export async function letThreadPoolRun(path: string): Promise<void> {
  for (let round = 0; round < 2; round++) await Promise.all(Array.from({ length: threadPoolSize() }, () => stat(path).catch(() => undefined)));
}
