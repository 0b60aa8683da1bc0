// Long jobs on the event loop (parsing a spill file, serialising an overflow) run in slices:
// after `sliceMs` of work the job yields with setImmediate, so timers, I/O callbacks and
// other requests run between slices and no single turn holds the loop for long.

/** Work done between yields; a few ms keeps event-loop delay far under its 20 ms budget. */
export const LOOP_SLICE_MS = 4;

export class LoopSlices {
  private sliceStart = performance.now();
  constructor(private readonly sliceMs = LOOP_SLICE_MS) {}

  /** True once this slice has run for `sliceMs`: the caller should `await yieldNow()`. */
  due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Yields to the event loop (a macrotask, so timers and I/O run) and starts a new slice. */
  async yieldNow(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  /** Starts a new slice: the caller resumes after a wait (a timer or a wake-up), not in the middle of its own work. */
  restart(): void {
    this.sliceStart = performance.now();
  }

  /** Yields when the slice is used up. */
  async maybeYield(): Promise<void> {
    if (this.due()) await this.yieldNow();
  }
}
