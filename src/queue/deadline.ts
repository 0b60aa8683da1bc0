// The deadline of a stop: `timeoutMs` (at most MAX_STOP_TIMEOUT_MS by default) or an
// AbortSignal, whichever comes first. The timer is ref'd: a caller awaiting stop() keeps
// the process up until the stop is done, which is at the latest at the deadline.
import { MAX_STOP_TIMEOUT_MS, stopOptionsSchema, type StopOptions } from '../schemas.js';
import { parseOptions } from '../validate.js';
import { timerMs } from '../timer-ms.js';

export interface Deadline {
  /** Resolves when the deadline passes or the signal aborts; never rejects. */
  readonly reached: Promise<void>;
  cancel(): void;
}

export function parseStopOptions(opts: StopOptions | undefined, what: string): StopOptions {
  return parseOptions(stopOptionsSchema, opts, `${what} options`, '{ timeoutMs: 5000 } or { signal: AbortSignal.timeout(5000) }');
}

export function deadlineOf(opts: StopOptions): Deadline {
  let cancel = () => {};
  const reached = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timerMs(opts.timeoutMs ?? MAX_STOP_TIMEOUT_MS));
    const onAbort = () => resolve();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) resolve();
    cancel = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
  });
  return { reached, cancel };
}

/** True when `work` settles (either way) before the deadline; false when the deadline comes first and the work goes on. */
export function settlesBefore(work: Promise<unknown>, deadline: Deadline): Promise<boolean> {
  return Promise.race([work.then(() => true, () => true), deadline.reached.then(() => false)]);
}
