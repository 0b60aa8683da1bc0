// Overflow: batches past maxQueueSize are gathered for coalescingMs and written to one spill
// file, or spilled inside enqueue once they pass OVERFLOW_SYNC_SPILL_PAIRS (backpressure,
// so memory stays bounded however long the overload). While the disk fails, overflow waits
// and moves back into memory as the sink frees room; spilling is retried with backoff.
import { errorFields, type Logger } from '../log.js';
import type { SpillWriter } from '../spill/spill-writer.js';
import { backoffDelay } from './backoff.js';
import type { Backlog, TakenPairs } from './backlog.js';
import { identifyAll, oldestSeqOf, remainingPairs, type PendingBatch } from './pending-batches.js';

/** Overflow pairs waiting for the disk beyond this are spilled inside `enqueue` (backpressure). */
export const OVERFLOW_SYNC_SPILL_PAIRS = 4096;
/** At most this many pairs in one overflow spill file. */
const SPILL_FILE_PAIRS = 16_384;

export interface SpillHost {
  halted(): boolean;
  /** Checks the spill dir belongs to this sink before anything is written there (throws if not). */
  assertSpillDirOwned(): void;
  spilled(files: { name: string; pairs: number }[], minSeq: number): void;
  /** The frontier moved or work appeared: settle flush waiters, wake the worker. */
  changed(): void;
}

export class SpillScheduler {
  private blockedUntil = 0;
  private failures = 0;
  private scheduled = false;
  private spilling = false;
  spillErrors = 0;

  constructor(
    private readonly backlog: Backlog,
    private readonly writer: SpillWriter,
    private readonly opts: { coalesceMs: number; retryBaseMs: number; retryMaxMs: number },
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
    const b = this.backlog;
    const n = remainingPairs(batch);
    if (b.overflowPairs > 0 && b.overflowPairs + n > OVERFLOW_SYNC_SPILL_PAIRS && this.canSpill) this.spillOverflowSync();
    b.overflow.push(batch);
    b.overflowPairs += n;
    if (b.overflowPairs >= OVERFLOW_SYNC_SPILL_PAIRS && this.canSpill) this.spillOverflowSync();
    else this.schedule(this.opts.coalesceMs);
  }

  /** Writes pairs to spill files; true when they are on disk. Used for overflow and while the sink is down. */
  async spill(t: TakenPairs): Promise<boolean> {
    try {
      this.host.assertSpillDirOwned();
      const files = await this.writer.append(t.pairs);
      if (this.host.halted()) return true;
      this.noteSpilled(files, t);
      return true;
    } catch (err) {
      this.noteFailure(err, t.pairs.length);
      return false;
    }
  }

  private schedule(ms: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => void this.spillOverflow(), ms).unref();
  }

  private async spillOverflow(): Promise<void> {
    this.scheduled = false;
    const b = this.backlog;
    if (this.spilling || b.overflow.length === 0 || this.host.halted()) return;
    if (!this.canSpill) return this.schedule(this.blockedForMs);
    this.spilling = true;
    const batches = this.takeOverflow();
    const t: TakenPairs = { pairs: identifyAll(batches), minSeq: oldestSeqOf(batches[0]!) };
    b.begin(t);
    const ok = await this.spill(t);
    b.done(t);
    this.spilling = false;
    if (!ok && !this.host.halted()) {
      b.overflow.unshift(...batches);
      b.overflowPairs += t.pairs.length;
    }
    this.host.changed();
    if (b.overflow.length > 0) this.schedule(this.opts.coalesceMs);
  }

  private takeOverflow(): PendingBatch[] {
    const b = this.backlog;
    let count = 0;
    let k = 0;
    while (k < b.overflow.length && count < SPILL_FILE_PAIRS) count += remainingPairs(b.overflow[k++]!);
    b.overflowPairs -= count;
    return b.overflow.splice(0, k);
  }

  /** Backpressure when the disk is slower than the overload: spill inside enqueue. */
  private spillOverflowSync(): void {
    const b = this.backlog;
    const batches = b.overflow.splice(0);
    const count = b.overflowPairs;
    b.overflowPairs = 0;
    const t: TakenPairs = { pairs: identifyAll(batches), minSeq: oldestSeqOf(batches[0]!) };
    try {
      this.host.assertSpillDirOwned();
      this.noteSpilled(this.writer.appendSync(t.pairs), t);
    } catch (err) {
      this.noteFailure(err, count);
      b.overflow.unshift(...batches);
      b.overflowPairs += count;
    }
  }

  private noteSpilled(files: { name: string; pairs: number }[], t: TakenPairs): void {
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
