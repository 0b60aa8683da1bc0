// Overflow: batches past maxQueueSize are gathered and written to spill files off the
// caller's turn: after coalescingMs, or at once when a file's worth waits. Only when the disk
// falls far behind does enqueue spill itself (backpressure, so memory stays bounded however
// long the overload): past OVERFLOW_SYNC_SPILL_PAIRS in memory mode, where that also bounds
// what a kill -9 can take, past JOURNAL_OVERFLOW_SYNC_SPILL_PAIRS with the journal, where
// every pair is on disk already and a spill inside enqueue (an fsync on the caller's turn)
// would only stall the event loop. Overflow waits as spill lines, not pair objects
// (overflow-lines.ts), and sink calls take from it once memory is empty: while the disk
// fails, overflow waits for the sink, and spilling is retried with backoff.
import { errorFields, type Logger } from '../log.js';
import type { SpillWriter, SpillFileWritten } from '../spill/spill-writer.js';
import { backoffDelay } from './backoff.js';
import { takenCount, type Backlog, type TakenPairs } from './backlog.js';
import { runLines, type LineRun } from './overflow-lines.js';
import { remainingPairs, type PendingBatch } from './pending-batches.js';
import { timerMs } from '../timer-ms.js';

/** Memory mode: overflow pairs waiting for the disk beyond this are spilled inside `enqueue`. */
export const OVERFLOW_SYNC_SPILL_PAIRS = 4096;
/** Journal mode: the same bound, for memory only (the pairs are journaled already). */
export const JOURNAL_OVERFLOW_SYNC_SPILL_PAIRS = 16_384;
/** At most this many pairs in one overflow spill file. */
const SPILL_FILE_PAIRS = 16_384;
/** Overflow of this many pairs is spilled at once, without waiting coalesceMs for more. */
const SPILL_NOW_PAIRS = 4096;

function takenLines(minSeq: number, runs: LineRun[]): TakenPairs {
  let pairs = 0;
  for (const r of runs) pairs += r.pairs;
  return { pairs: [], minSeq, lines: { runs, pairs } };
}

export interface SpillHost {
  halted(): boolean;
  /** Checks the spill dir belongs to this sink before anything is written there (throws if not). */
  assertSpillDirOwned(): void;
  spilled(files: { name: string; pairs: number }[], minSeq: number): void;
  /** The frontier moved or work appeared: settle flush waiters, wake the worker. */
  changed(): void;
  /**
   * The overflow spill failed unexpectedly (a bug: disk errors are retried, not this):
   * reported like a worker failure; returns the backoff (ms) before it spills again. Absent
   * (a scheduler on its own): logged here, and spilling waits retryMaxMs.
   */
  failed?(err: unknown): number;
}

export class SpillScheduler {
  private blockedUntil = 0;
  private failures = 0;
  /** The next async spill, when one is scheduled: when it runs (performance.now()) and how to call it off. */
  private next: { at: number; cancel(): void } | null = null;
  private spilling = false;
  spillErrors = 0;

  constructor(
    private readonly backlog: Backlog,
    private readonly writer: SpillWriter,
    private readonly opts: {
      coalesceMs: number;
      retryBaseMs: number;
      retryMaxMs: number;
      /** Overflow pairs waiting for the disk past which enqueue spills itself. */
      syncSpillPairs: number;
    },
    private readonly log: Logger,
    private readonly host: SpillHost,
  ) {}

  /** False while spilling backs off after a failed write. */
  get canSpill(): boolean {
    return performance.now() >= this.blockedUntil;
  }

  get blockedForMs(): number {
    return Math.max(0, this.blockedUntil - performance.now());
  }

  /** A batch that found memory full (called from enqueue). */
  addOverflow(batch: PendingBatch): void {
    this.makeRoomFor(remainingPairs(batch));
    this.backlog.overflow.add(batch);
    this.overflowAdded();
  }

  /** Before `n` pairs join overflow: past the bound, what waits is spilled inside enqueue first. */
  makeRoomFor(n: number): void {
    const b = this.backlog;
    if (b.overflowPairs > 0 && b.overflowPairs + n > this.opts.syncSpillPairs && this.canSpill) this.spillOverflowSync();
  }

  /** After pairs joined overflow: spilled now when the bound is reached, else scheduled. */
  overflowAdded(): void {
    if (this.backlog.overflowPairs >= this.opts.syncSpillPairs && this.canSpill) this.spillOverflowSync();
    else this.scheduleSpill();
  }

  /** Writes pairs to spill files; true when they are on disk. Used for overflow and while the sink is down. */
  async spill(t: TakenPairs): Promise<boolean> {
    try {
      this.host.assertSpillDirOwned();
      const files = t.lines ? await this.writer.appendLines(t.lines.runs.map(runLines)) : await this.writer.append(t.pairs);
      if (this.host.halted()) return true;
      this.noteSpilled(files, t);
      return true;
    } catch (err) {
      this.noteFailure(err, takenCount(t));
      return false;
    }
  }

  /** The next async spill: at once when a file's worth waits, else after coalesceMs of gathering. */
  private scheduleSpill(): void {
    if (this.backlog.overflowPairs >= SPILL_NOW_PAIRS && this.canSpill) this.schedule(0);
    else this.schedule(this.canSpill ? this.opts.coalesceMs : this.blockedForMs);
  }

  private schedule(ms: number): void {
    const at = performance.now() + ms;
    if (this.next && this.next.at <= at) return; // an earlier one will do
    this.next?.cancel();
    const run = () => {
      this.next = null;
      // Never an unhandled rejection (one ends the application): spillOverflow recovers from
      // what fails inside it; this catches a failure in that recovery itself.
      this.spillOverflow().catch((err: unknown) => this.failedUnexpectedly(err));
    };
    if (ms === 0) {
      const immediate = setImmediate(run).unref();
      this.next = { at, cancel: () => clearImmediate(immediate) };
    } else {
      const timeout = setTimeout(run, timerMs(ms)).unref();
      this.next = { at, cancel: () => clearTimeout(timeout) };
    }
  }

  /**
   * One overflow spill, on its timer, beside the worker loop (no watchdog runs it again). What
   * fails here unexpectedly — not the disk, spill() handles that — must not leave `spilling`
   * set (no async spill ever again: overflow waits for enqueue's sync spill, its pairs marked
   * on their way for good, so flush() never resolves true and stop() waits for its deadline):
   * the pairs go back in line, the failure is reported, and spilling goes on after a backoff.
   */
  private async spillOverflow(): Promise<void> {
    const b = this.backlog;
    if (this.spilling || b.overflowPairs === 0 || this.host.halted()) return; // a running spill schedules the next
    if (!this.canSpill) return this.schedule(this.blockedForMs);
    this.spilling = true;
    const t = takenLines(b.overflow.minSeq, b.overflow.takeForSpill(SPILL_FILE_PAIRS));
    b.begin(t);
    try {
      const ok = await this.spill(t);
      let keep = false;
      if (!ok && !this.host.halted()) keep = this.giveBack(t);
      b.done(t);
      if (!keep) b.overflow.recycle(t.lines!.runs);
      this.spilling = false;
      this.host.changed();
    } catch (err) {
      this.spilling = false;
      this.recover(t, err);
    }
    if (b.overflowPairs > 0) this.scheduleSpill();
  }

  /**
   * Pairs of a spill that failed, back in line: in front of the overflow, to be spilled again
   * after the backoff — unless memory took newer pairs while this spill was under way
   * (enqueued while overflow was empty): then into memory, in sequence order, so that memory
   * stays oldest first and older than all of overflow (the frontier flush and the journal
   * read; the order calls take pairs). True when they went back to overflow (lines kept).
   */
  private giveBack(t: TakenPairs): boolean {
    const b = this.backlog;
    if (b.newestInMemorySeq() < t.minSeq) {
      b.overflow.giveBack(t.lines!.runs);
      return true;
    }
    b.putBack(t);
    return false;
  }

  /** After an unexpected failure in a spill: its pairs back in line if still marked on their way, reported, a backoff. */
  private recover(t: TakenPairs, err: unknown): void {
    if (this.host.halted()) return; // halting took every pair on its way
    if (this.backlog.isBusy(t)) {
      // Still marked on their way: not put back yet (give-back and done are one step apart;
      // putBack decodes before it moves anything). Should that fail again, they stay marked on
      // their way — flush() stays false for them, never a false true — and it is logged.
      try {
        this.giveBack(t);
        this.backlog.done(t);
      } catch (again) {
        this.log.error({ spillDir: this.writer.dir, pairs: takenCount(t), ...errorFields(again) }, 'cannot put the pairs of a failed overflow spill back in line; report this with the stack');
      }
    }
    this.failedUnexpectedly(err);
    try {
      this.host.changed(); // pairs may be back in memory: wake the worker
    } catch {
      // what failed may be this very step: reported above, and the worker wakes on its own poll
    }
  }

  private failedUnexpectedly(err: unknown): void {
    this.spilling = false;
    let retryInMs = this.opts.retryMaxMs;
    if (this.host.failed) retryInMs = this.host.failed(err);
    else this.log.error({ spillDir: this.writer.dir, ...errorFields(err) }, 'overflow spill failed unexpectedly; spilling again after a backoff');
    this.blockedUntil = Math.max(this.blockedUntil, performance.now() + retryInMs);
    if (this.backlog.overflowPairs > 0) this.scheduleSpill();
  }

  /** Backpressure when the disk is slower than the overload: spill inside enqueue. */
  private spillOverflowSync(): void {
    const b = this.backlog;
    const count = b.overflowPairs;
    const t = takenLines(b.overflow.minSeq, b.overflow.takeForSpill(Infinity));
    try {
      this.host.assertSpillDirOwned();
      this.noteSpilled(this.writer.appendLinesSync(t.lines!.runs.map(runLines)), t);
      b.overflow.recycle(t.lines!.runs);
    } catch (err) {
      this.noteFailure(err, count);
      b.overflow.giveBack(t.lines!.runs); // nothing moved meanwhile: they go back where they were
    }
  }

  private noteSpilled(files: SpillFileWritten[], t: TakenPairs): void {
    this.host.spilled(files, t.minSeq);
    if (this.failures > 0) {
      this.log.info({ spillDir: this.writer.dir, afterFailures: this.failures }, 'spilling works again');
      this.failures = 0;
    }
  }

  private noteFailure(err: unknown, count: number): void {
    this.spillErrors++;
    if (this.failures === 0) {
      this.log.error(
        { spillDir: this.writer.dir, pairs: count, ...errorFields(err) },
        'cannot write to the spill directory; pairs stay queued in memory and spilling is retried',
      );
    }
    this.failures++;
    this.blockedUntil = performance.now() + backoffDelay(this.failures, this.opts.retryBaseMs, this.opts.retryMaxMs);
  }
}
