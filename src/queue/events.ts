// The queue's events, typed for `queue.on(...)`: what an operator wants to watch without
// polling stats().
import type { WorkerFailedError } from '../errors.js';

/** Payload of `'spilled'`: a spill file was written. */
export interface SpilledEvent {
  /** The spill file written (a name in spillDir). */
  file: string;
  /** Pairs in that file. */
  pairs: number;
}

/** Payload of `'quarantined'`: a spill file (or some of its pairs) was set aside, never applied. */
export interface QuarantinedEvent {
  /** The quarantined (or set-aside) file, `<name>.failed-<ms>.jsonl`. */
  file: string;
  /** Why: the bad line and field, or the pairs the sink refused. */
  reason: string;
}

/** Payload of `'writeError'`: one sink call failed (it is retried, then spilled). */
export interface WriteErrorEvent {
  /** What the sink threw (or a SinkTimeoutError when it did not settle within sinkTimeoutMs). */
  error: unknown;
  /** Pairs in the failed sink call. */
  pairs: number;
  /** 1 for the first try of that call; the call is retried, then spilled. */
  attempt: number;
}

/** The queue's parts a `'workerError'` names: the worker loop, or the overflow spill's timer. */
export type QueuePart = 'worker' | 'overflow spill';

/**
 * Payload of `'workerError'`: the queue's worker failed unexpectedly (a bug: sink and disk
 * errors are `'writeError'`s and spills, not this) and restarts after `restartInMs`. Pairs
 * it held are back in the queue; nothing is dropped. Alert on it and report the cause.
 */
export interface WorkerFailedEvent {
  /** A WorkerFailedError (code `PROVQ_WORKER_FAILED`); its `cause` is what the worker threw. */
  error: WorkerFailedError;
  /** What failed: the worker loop, or the overflow spill that runs on its own timer beside it. */
  part: QueuePart;
  /** Failures in a row (the backoff doubles with each, up to retryMaxMs; 60 s without one starts it again). */
  failures: number;
  /** When it runs again (the worker: sooner if stop() is called). */
  restartInMs: number;
}

/**
 * Event name → listener arguments, for Node's typed EventEmitter:
 *
 * ```ts
 * queue.on('spilled', ({ file, pairs }) => log.warn({ file, pairs }, 'provenance overflowed to disk'));
 * queue.on('quarantined', ({ file, reason }) => alert(`quarantined ${file}: ${reason}`));
 * queue.on('writeError', ({ error, pairs, attempt }) => metrics.increment('provq.write_errors'));
 * queue.on('workerError', ({ error, restartInMs }) => alert(`provenance worker failed (${error.code}); restarts in ${restartInMs} ms`, error.cause));
 * queue.on('idle', () => log.info(queue.stats(), 'provenance queue idle: nothing pending'));
 * ```
 */
export interface QueueEvents {
  /** Pairs went to a spill file (overflow, failed writes, a stop deadline); they are read back later. */
  spilled: [SpilledEvent];
  /** A spill file was quarantined, or pairs were set aside: nothing of them was applied. */
  quarantined: [QuarantinedEvent];
  /** A sink call failed; emitted for every attempt. */
  writeError: [WriteErrorEvent];
  /** The worker failed unexpectedly and restarts after a backoff (also logged with code PROVQ_WORKER_FAILED). */
  workerError: [WorkerFailedEvent];
  /**
   * The queue has nothing left to do: every pair enqueued so far is durable in the sink or
   * set aside on disk (a quarantined file, pairs the sink refused), and no spill file of
   * this queue waits to be read back. Set-aside pairs wait for an operator, not for the
   * queue, so `'idle'` can come while the queue's `flush()` resolves false
   * (flush means "durable in this sink"); `'quarantined'` said which files.
   */
  idle: [];
}
