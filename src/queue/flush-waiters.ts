// Callers of flush() waiting for the pairs enqueued before their call to be durable: each
// waits for a sequence number; all are checked against the queue's frontier when it moves.
import { InvalidOptionsError } from '../errors.js';
import { flushOptionsSchema, type FlushOptions } from '../schemas.js';
import { describeValue, parseOptions } from '../validate.js';
import { timerMs } from '../timer-ms.js';

/** How long flush() waits when not told. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 2000;

interface Waiter {
  target: number;
  settle(durable: boolean): void;
}

export class FlushWaiters {
  private readonly waiters = new Set<Waiter>();

  /**
   * Resolves true once `frontier()` passes `target`, false at `timeoutMs` or when `signal`
   * aborts. The timer is ref'd on purpose: a caller awaiting flush() keeps the process up
   * until it settles, and it always settles.
   */
  wait(target: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = () => waiter.settle(false);
      // The caller's signal is looked at before the waiter is added: one that throws (not a
      // real AbortSignal, only its prototype) fails this flush() alone, on the caller's turn.
      if (signal?.aborted) return resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(onAbort, timerMs(timeoutMs));
      const waiter: Waiter = {
        target,
        settle: (durable) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(durable);
          try {
            signal?.removeEventListener('abort', onAbort);
          } catch {
            // the caller's signal, changed since: its listener is { once } and settles nothing twice
          }
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Settles every waiter whose pairs are all durable now. */
  check(frontier: number): void {
    for (const w of this.waiters) if (frontier >= w.target) w.settle(true);
  }

  /** At stop: whoever still waits learns the truth at once instead of at its timeout. */
  settleAll(frontier: number): void {
    for (const w of this.waiters) w.settle(frontier >= w.target);
  }
}

/** flush()'s argument: a timeout in ms, or { timeoutMs, signal }; absent = the default timeout. */
export function parseFlushArgument(opts: number | FlushOptions | undefined): { timeoutMs: number; signal?: AbortSignal } {
  if (typeof opts === 'number' ? !(Number.isFinite(opts) && opts >= 0) : opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new InvalidOptionsError(
      `invalid flush argument: expected a timeout in milliseconds >= 0, as in flush(5000), or { timeoutMs, signal }, got ${describeValue(opts)}; ` +
        `flush() waits ${DEFAULT_FLUSH_TIMEOUT_MS} ms by default`,
    );
  }
  const parsed = parseOptions(flushOptionsSchema, typeof opts === 'number' ? { timeoutMs: opts } : opts, 'flush options', '{ timeoutMs: 5000 }');
  if (parsed.signal) assertWorkingSignal(parsed.signal);
  return parsed.signal
    ? { timeoutMs: parsed.timeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS, signal: parsed.signal }
    : { timeoutMs: parsed.timeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS };
}

/**
 * `instanceof AbortSignal` holds for `Object.create(AbortSignal.prototype)` too, whose
 * `aborted` and listeners throw: refused here, on the caller's turn, with the field named.
 */
function assertWorkingSignal(signal: AbortSignal): void {
  try {
    void signal.aborted;
  } catch {
    throw new InvalidOptionsError('invalid flush options: signal must be a working AbortSignal (from new AbortController().signal or AbortSignal.timeout()); reading its aborted flag threw');
  }
}
