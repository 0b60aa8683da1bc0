// lmdb-js starts each event turn's write batch with a promise nobody can await; when that
// transaction's commit fails (a full disk, EIO) the promise, and the `commitError` promise
// hung on every failed put, reject unhandled and Node ends the process. The same failure
// reaches the caller through its own put, which the queue retries, spills or keeps. So while
// a store is open, those two kinds of rejection, and only those, are marked handled here;
// any other unhandled rejection is left to Node's own rule (rethrown when this is the only
// listener, as Node would, unless --unhandled-rejections chose otherwise).
// (Turning lmdb's eventTurnBatching off avoids the hidden promise but crashed lmdb's native
// code on ENOSPC in 3 of 4 runs: malloc(): invalid next size.)

const COMMIT_FAILED = 'Commit failed (see commitError for details)';

let users = 0;

/** An lmdb commit failure: the "Commit failed" error of a put, or its cause (an errno from lmdb's writer). */
export function isLmdbCommitFailure(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  if (reason.message === COMMIT_FAILED && 'commitError' in reason) return true;
  return typeof (reason as { code?: unknown }).code === 'number' && /[\\/]lmdb[\\/]write\.js/.test(reason.stack ?? '');
}

/** Marks the `commitError` promise of a failed put handled (its cause is the put's own failure). */
export function quietCommitError(reason: unknown): void {
  const cause = (reason as { commitError?: unknown } | null)?.commitError;
  if (cause instanceof Promise) cause.catch(() => {});
}

function nodeWouldThrow(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const mode = flags.find((f) => f.startsWith('--unhandled-rejections='))?.split('=')[1];
  return mode === undefined || mode === 'throw' || mode === 'strict';
}

function onUnhandledRejection(reason: unknown): void {
  if (isLmdbCommitFailure(reason)) {
    quietCommitError(reason);
    return;
  }
  // Not ours to judge: with other listeners, they decide; alone, do what Node would have done.
  if (process.listenerCount('unhandledRejection') === 1 && nodeWouldThrow()) throw reason;
}

/** While at least one store is open, lmdb's unawaitable commit promises never end the process. */
export function guardLmdbCommits(): () => void {
  if (users++ === 0) process.on('unhandledRejection', onUnhandledRejection);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) process.off('unhandledRejection', onUnhandledRejection);
  };
}
