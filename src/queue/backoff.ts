// Exponential backoff with "equal jitter" (half fixed, half random): spreads the
// retries of processes that failed together, and never waits longer than `maxMs`.
import { timerMs } from '../timer-ms.js';

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A timer that never keeps the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, timerMs(ms)).unref());
}
