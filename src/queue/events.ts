// The queue's events, typed for `queue.on(...)`: what an operator wants to watch without
// polling stats().

export interface SpilledEvent {
  /** The spill file written (in spillDir). */
  file: string;
  /** Pairs in that file. */
  pairs: number;
}

export interface QuarantinedEvent {
  /** The quarantined (or set-aside) file, `<name>.failed-<ms>.jsonl`. */
  file: string;
  reason: string;
}

export interface WriteErrorEvent {
  error: unknown;
  /** Pairs in the failed sink call. */
  pairs: number;
  /** 1 for the first try of that call; the call is retried, then spilled. */
  attempt: number;
}

/** Event name → listener arguments, for Node's typed EventEmitter. */
export interface QueueEvents {
  spilled: [SpilledEvent];
  quarantined: [QuarantinedEvent];
  writeError: [WriteErrorEvent];
  /** Everything enqueued so far is durable and no spill file of this queue waits. */
  idle: [];
}
