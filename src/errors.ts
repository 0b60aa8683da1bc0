// Typed errors: each message names the field, path or file at fault and what to do next.

export class ProvenanceQueueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A pair handed to `enqueue` or `appendProvenanceBatch` failed validation; nothing was queued. */
export class InvalidPairError extends ProvenanceQueueError {}

/** Options for the queue, the store or a call were invalid. */
export class InvalidOptionsError extends ProvenanceQueueError {}

/** The store directory could not be opened or created. */
export class StoreOpenError extends ProvenanceQueueError {}

/** A call on a store after `close()`. */
export class StoreClosedError extends ProvenanceQueueError {}

/** The spill directory is unsafe or unusable (a symlink, another user's, not a directory). */
export class SpillDirError extends ProvenanceQueueError {}

/** `enqueue` on a queue that is not started, or already stopped. */
export class QueueNotRunningError extends ProvenanceQueueError {}

/** A sink call did not settle within `sinkTimeoutMs`. */
export class SinkTimeoutError extends ProvenanceQueueError {}

/** Bad command-line usage (exit code 2). */
export class UsageError extends ProvenanceQueueError {}

/** A spill or journal directory belongs to another sink. */
export class SpillDirOwnedError extends ProvenanceQueueError {}

/** `enableProvenanceQueue` with different options while a queue is on. */
export class QueueEnabledError extends ProvenanceQueueError {}

/** The database could not be reached or refused a statement; nothing of that call was stored. */
export class StoreUnavailableError extends ProvenanceQueueError {}
