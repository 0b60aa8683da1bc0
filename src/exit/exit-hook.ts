// The exit side door: when the process ends (exit, natural end, uncaught exception,
// SIGINT/SIGTERM/SIGHUP) every started queue writes what it still holds, synchronously.
//
// signal-exit covers the signals, but it runs its callbacks *after* the ordinary 'exit'
// listeners, and lmdb's own 'exit' listener closes every environment: an LMDB write after
// it crashes the process. So the drain is also prepended to 'exit', to run first, once.
import { onExit } from 'signal-exit';

export interface ExitDrainable {
  /** Writes everything still in memory, synchronously; a second call finds nothing to do. */
  drainSync(reason: string): void;
}

const queues = new Set<ExitDrainable>();
let removeSignalHook: (() => void) | undefined;

function drainAll(reason: string): void {
  for (const q of queues) q.drainSync(reason);
}

function onProcessExit(code: number): void {
  drainAll(`exit(${code})`);
}

export function registerExitDrain(q: ExitDrainable): void {
  queues.add(q);
  if (removeSignalHook) return;
  removeSignalHook = onExit((code, signal) => {
    drainAll(signal ? `signal ${signal}` : `exit(${code ?? 0})`);
    // Returning nothing lets signal-exit re-raise the signal: the process ends as it would have.
  });
  process.prependListener('exit', onProcessExit);
}

export function unregisterExitDrain(q: ExitDrainable): void {
  queues.delete(q);
  if (queues.size > 0 || !removeSignalHook) return;
  removeSignalHook();
  removeSignalHook = undefined;
  process.removeListener('exit', onProcessExit);
}
