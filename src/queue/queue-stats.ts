// What a queue counts, as stats() reports it: one shape, and the counters its parts add to.

/** What `queue.stats()` returns: counts since the queue was made, and what is pending now. */
export interface QueueStats {
  /** Pairs accepted by enqueue. */
  enqueuedPairs: number;
  /** Pairs the sink confirmed durable (fresh and read back). */
  writtenPairs: number;
  /** Pairs accepted but not yet durable in the sink (in memory or in flight; spilled pairs not counted). */
  pendingPairs: number;
  /** Pairs written to spill files (overflow, failed writes, a stop deadline, exit). */
  spilledPairs: number;
  /** Spill files written. */
  spilledFiles: number;
  /** Pairs read back from spill or journal files and written to the sink. */
  respooledPairs: number;
  /** Files quarantined, or pairs set aside in a `.failed-` file, by this queue. */
  quarantinedFiles: number;
  /** Failed sink calls (each attempt counts). */
  writeErrors: number;
  /** Failed attempts to write a spill file (disk full, no permission, ...). */
  spillErrors: number;
  /**
   * Failed journal writes (those pairs stayed in memory without crash protection until a
   * journal write succeeded again: then every pair not yet saved is journaled again) and
   * failed journal fsyncs (the pairs not yet saved are written again to a fresh segment;
   * until its fsync succeeds, a power loss may lose more than `fsyncMs` of them).
   */
  journalErrors: number;
  /** Cut last lines of dead writers' journal segments, dropped (never acknowledged). */
  tornJournalLines: number;
  /** Times the worker failed unexpectedly and was restarted ('workerError'; 0 unless there is a bug to report). */
  workerRestarts: number;
}

/** The counters the queue's parts add to (pendingPairs and spillErrors are read live). */
export function newQueueCounters() {
  return {
    enqueuedPairs: 0,
    writtenPairs: 0,
    spilledPairs: 0,
    spilledFiles: 0,
    respooledPairs: 0,
    quarantinedFiles: 0,
    writeErrors: 0,
    journalErrors: 0,
    tornJournalLines: 0,
    workerRestarts: 0,
  };
}
