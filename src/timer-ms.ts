// The delay a timer is given for a number of milliseconds a caller chose (a stop's or a
// flush's timeoutMs, sinkTimeoutMs, idlePollMs, coalesceMs, retryMaxMs, fsyncMs): Node runs
// a setTimeout longer than 2^31 - 1 ms after 1 ms instead (a TimeoutOverflowWarning), so a
// caller who asked for a long wait got none — flush(2 ** 31) answered false at once, close()
// saved everything to spill files instead of draining, and with sinkTimeoutMs: 2 ** 31 every
// sink call "timed out" after 1 ms and was retried (a pair given to the sink 12 times in 5 s,
// none counted written; breaker15). Longer waits are held at the limit (~24.8 days).

/** setTimeout's longest delay. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms`, held at setTimeout's limit. */
export function timerMs(ms: number): number {
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}
