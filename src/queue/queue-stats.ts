// What a queue counts, as stats() reports it: one shape, and the counters its parts add to.

/** What `queue.stats()` returns: counts since the queue was made, and what is pending now. */
export interface QueueStats {
  /** Pairs accepted by enqueue. */
  enqueuedPairs: number;
  /**
   * Pairs the sink stored (fresh and read back): each pair once, however often it is written.
   * A write the sink found stored already is a no-op, counted in `duplicatePairs` instead.
   */
  writtenPairs: number;
  /**
   * Pairs the sink found stored already under their entryId, so left as they were: a file
   * read back again (its reader died between writing it and deleting it, a journal of a
   * killed process, a file put back by hand), or a call that landed after it had timed out
   * and was retried. `writtenPairs + duplicatePairs` is what the sink confirmed durable.
   */
  duplicatePairs: number;
  /** Pairs accepted but not yet durable in the sink (in memory or in flight; spilled pairs not counted). */
  pendingPairs: number;
  /** Pairs written to spill files (overflow, failed writes, a stop deadline, exit). */
  spilledPairs: number;
  /** Spill files written. */
  spilledFiles: number;
  /** Pairs read back from spill or journal files and confirmed by the sink: stored now, or found stored already. */
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
  /** Times the worker, or the overflow spill beside it, failed unexpectedly and was run again ('workerError'; 0 unless there is a bug to report). */
  workerRestarts: number;
}

/** The counters the queue's parts add to (pendingPairs and spillErrors are read live). */
export function newQueueCounters() {
  return {
    enqueuedPairs: 0,
    writtenPairs: 0,
    duplicatePairs: 0,
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

/** The counters a sink's answer adds to. */
export interface WrittenCounters {
  writtenPairs: number;
  duplicatePairs: number;
  respooledPairs: number;
}

/**
 * Counts a sink's answer for a call: `kept` are the pairs it did not leave out (unknown
 * records), `duplicates` those of them it found stored already (the sink's word, kept between
 * 0 and `kept`). The rest it stored now: a pair written twice counts once as written.
 */
export function countWritten(counters: WrittenCounters, kept: number, duplicates: number | undefined, replayed: boolean): void {
  const found = Number.isInteger(duplicates) ? Math.min(Math.max(duplicates!, 0), kept) : 0;
  const stored = kept - found;
  counters.writtenPairs += stored;
  counters.duplicatePairs += found;
  if (replayed) counters.respooledPairs += kept;
}
