// How big each row runs: the table's sizes by default, small ones with --quick.

// Every row runs the default options unless it says otherwise.

export interface BenchSizes {
  /** Row 1: timed enqueue calls (and as many timed pushes). */
  enqueueCalls: number;
  /** Rows 2, 5, 6, 7: records the pairs are spread over. */
  records: number;
  /** Row 2: pairs from enqueue to durable. */
  throughputPairs: number;
  /** Row 3. */
  recallRecords: number;
  recallsPerMode: number;
  syncRecalls: number;
  /** Row 4. */
  historyEntries: number;
  appends: number;
  /** Row 5. */
  sinkCapacity: number;
  overloadFactor: number;
  overloadSeconds: number;
  drainTimeoutSeconds: number;
  /** Row 6. */
  exitPairs: number;
  /** Row 7. */
  loopPairsPerSecond: number;
  loopSeconds: number;
  /** Row 8. */
  flushes: number;
  /** Row 9 (Postgres). */
  pgRecallRecords: number;
  pgRecalls: number;
  /** Row 10 (Postgres). */
  pgThroughputPairs: number;
  /** Row 11: a backlog of this many pairs in this many spill files. */
  readBackPairs: number;
  readBackFiles: number;
}

export const FULL: BenchSizes = {
  enqueueCalls: 1_000_000,
  records: 1000,
  throughputPairs: 1_000_000,
  recallRecords: 10_000,
  recallsPerMode: 10_000,
  syncRecalls: 1000,
  historyEntries: 10_000,
  appends: 300,
  sinkCapacity: 20_000,
  overloadFactor: 10,
  overloadSeconds: 20,
  drainTimeoutSeconds: 150,
  exitPairs: 100_000,
  loopPairsPerSecond: 100_000,
  loopSeconds: 5,
  flushes: 200,
  pgRecallRecords: 2000,
  pgRecalls: 2000,
  pgThroughputPairs: 200_000,
  readBackPairs: 100_000,
  readBackFiles: 2500,
};

export const QUICK: BenchSizes = {
  ...FULL,
  enqueueCalls: 100_000,
  throughputPairs: 50_000,
  recallsPerMode: 2000,
  syncRecalls: 200,
  appends: 100,
  overloadSeconds: 3,
  drainTimeoutSeconds: 30,
  loopSeconds: 2,
  flushes: 50,
  pgRecallRecords: 500,
  pgRecalls: 400,
  pgThroughputPairs: 20_000,
};
