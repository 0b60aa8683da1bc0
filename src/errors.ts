// Typed errors: each message names the field, path or file at fault and what to do next.
//
// Adding an error: a class here that extends ProvenanceQueueError and declares
// `readonly code = 'PROVQ_…'` (unique, upper snake case), with a one-line doc comment
// ending in @hideconstructor (docs/api.md lists the code, not Error's constructor again),
// exported from src/index.ts and listed in docs/errors.md. test/errors.test.ts checks them.

/** A stable, machine-readable error code: `PROVQ_` and upper snake case. */
export type ProvenanceErrorCode = `PROVQ_${string}`;

/**
 * The base of every error provenance-queue throws. Match on `err.code` (stable across
 * versions) or `instanceof`; `message` is for people and may change.
 */
export abstract class ProvenanceQueueError extends Error {
  /** Stable code, listed in docs/errors.md. */
  abstract readonly code: ProvenanceErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A pair handed to `enqueue` or `appendProvenanceBatch` failed validation; nothing was queued. @hideconstructor */
export class InvalidPairError extends ProvenanceQueueError {
  readonly code = 'PROVQ_INVALID_PAIR';
}

/** Options for the queue, the store or a call were invalid (the message names the option). @hideconstructor */
export class InvalidOptionsError extends ProvenanceQueueError {
  readonly code = 'PROVQ_INVALID_OPTIONS';
}

/** An argument of a call (a record id) was invalid (the message names it and the values allowed). @hideconstructor */
export class InvalidArgumentError extends ProvenanceQueueError {
  readonly code = 'PROVQ_INVALID_ARGUMENT';
}

/** The store directory could not be opened or created. @hideconstructor */
export class StoreOpenError extends ProvenanceQueueError {
  readonly code = 'PROVQ_STORE_OPEN';
}

/** A call on a store after `close()`. @hideconstructor */
export class StoreClosedError extends ProvenanceQueueError {
  readonly code = 'PROVQ_STORE_CLOSED';
}

/** The spill directory is unsafe or unusable (a symlink, another user's, not a directory). @hideconstructor */
export class SpillDirError extends ProvenanceQueueError {
  readonly code = 'PROVQ_SPILL_DIR';
}

/** A spill or journal directory belongs to another sink. @hideconstructor */
export class SpillDirOwnedError extends ProvenanceQueueError {
  readonly code = 'PROVQ_SPILL_DIR_OWNED';
}

/** `enqueue` on a queue that is not started, or already stopped. @hideconstructor */
export class QueueNotRunningError extends ProvenanceQueueError {
  readonly code = 'PROVQ_QUEUE_NOT_RUNNING';
}

/** `enableProvenanceQueue` with different options while a queue is on. @hideconstructor */
export class QueueEnabledError extends ProvenanceQueueError {
  readonly code = 'PROVQ_QUEUE_ENABLED';
}

/** A sink call did not settle within `sinkTimeoutMs` (reported in logs and 'writeError' events). @hideconstructor */
export class SinkTimeoutError extends ProvenanceQueueError {
  readonly code = 'PROVQ_SINK_TIMEOUT';
}

/** A sink call resolved with an answer the queue cannot use (reported in logs and 'writeError' events; the call counts as failed). @hideconstructor */
export class SinkResultError extends ProvenanceQueueError {
  readonly code = 'PROVQ_SINK_RESULT';
}

/**
 * The queue's worker failed unexpectedly and was restarted (reported, never thrown: logged
 * with this code and emitted in 'workerError'); `cause` is what it threw. @hideconstructor
 */
export class WorkerFailedError extends ProvenanceQueueError {
  readonly code = 'PROVQ_WORKER_FAILED';
}

/** Bad command-line usage of `provq` (exit code 2). @hideconstructor */
export class UsageError extends ProvenanceQueueError {
  readonly code = 'PROVQ_USAGE';
}

/** A `provq` command could not do its job (exit code 1): a missing store, file or record. @hideconstructor */
export class CommandError extends ProvenanceQueueError {
  readonly code = 'PROVQ_COMMAND_FAILED';
}

/** The store could not carry out a call (a database down or refusing a statement, a full or failing disk); the call was not confirmed. @hideconstructor */
export class StoreUnavailableError extends ProvenanceQueueError {
  readonly code = 'PROVQ_STORE_UNAVAILABLE';
}

/** A spill file changed while it was being read back (someone edited it): it is read again later. */
export class SpillFileChangedError extends ProvenanceQueueError {
  readonly code = 'PROVQ_SPILL_FILE_CHANGED';
}

/**
 * A file the queue was about to publish already exists (a name taken by pid reuse or a clock
 * step): files are never replaced. `errno` is 'EEXIST', as link(2) reports it.
 */
export class SpillFileExistsError extends ProvenanceQueueError {
  readonly code = 'PROVQ_SPILL_FILE_EXISTS';
  /** What link(2) reports for a name already taken: the writer then picks the next name. */
  readonly errno = 'EEXIST';
}
