// What the journal does when an fsync of a segment fails. Linux may mark the pages it could
// not write clean (Postgres's "fsyncgate", 2018), so a retried fsync can succeed with the
// data never on disk: the segment is not trusted again. Postgres PANICs and replays its WAL,
// because the WAL is its only copy; here every pair not yet saved is still in memory, so it
// is written again to a fresh segment and fsync'd there, and the failed segments go once
// that is on disk. Until then a power loss may lose more than fsyncMs of pairs: counted
// (`journalErrors`), said once per episode, and its end said too.
import { errorFields, type Logger } from '../log.js';
import { backoffDelay } from '../queue/backoff.js';
import { identifiedBatch, identifyAll, type PendingBatch } from '../queue/pending-batches.js';
import type { Segment } from './journal-segment.js';

/** After a failed fsync the unsaved pairs are written again at once, then with this backoff while it keeps failing. */
const REWRITE_RETRY_BASE_MS = 100;
const REWRITE_RETRY_MAX_MS = 10_000;

/** What this asks of the journal writer. */
export interface FsyncFailureHost {
  /** Every batch not yet saved in the sink or a spill file, left where it is. */
  unsavedBatches(): PendingBatch[];
  /** Journals a batch now; false when a write failed. */
  write(batch: PendingBatch): boolean;
  /** A current segment whose fsync failed takes no more writes. */
  retire(s: Segment): void;
  /** Whether the writer still has the segment (not removed because its pairs were saved). */
  held(s: Segment): boolean;
  remove(s: Segment): void;
  sync(s: Segment): void;
}

export class FsyncFailures {
  /** Failed fsyncs since the last one that succeeded (0: none): one error line per episode. */
  private failures = 0;
  /** The latest rewrite of the unsaved pairs (0: none yet). */
  private gen = 0;
  /** Set while a rewrite is being written: the segments it lands in are tagged with it. */
  private writingGen = 0;
  /** The segments holding the latest rewrite, not yet fsync'd since. */
  private readonly unsynced = new Set<Segment>();
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private rewrittenPairs = 0;
  /** Segments whose fsync failed and that may still hold pairs no fsync'd file has. */
  private readonly failedSegments = new Set<Segment>();

  constructor(
    private readonly journalDir: string,
    private readonly log: Logger,
    private readonly counters: { journalErrors: number },
    private readonly host: FsyncFailureHost,
  ) {}

  /** A write landed in `s`. */
  wrote(s: Segment): void {
    if (this.writingGen === 0) return;
    s.rewriteGen = this.writingGen;
    this.unsynced.add(s);
  }

  failed(s: Segment, err: NodeJS.ErrnoException): void {
    this.counters.journalErrors++;
    if (this.failures++ === 0) {
      this.log.error(
        { journalDir: this.journalDir, file: s.name, ...errorFields(err) },
        'journal fsync failed: pairs journaled in this segment may not survive a power loss (the kernel may drop what it could not write, and a second fsync would not tell); writing the pairs not yet saved to a fresh segment',
      );
    }
    if (!this.host.held(s)) {
      this.unsynced.delete(s); // removed: its pairs are saved, it holds nothing the rewrite needs
      return;
    }
    if (s.failedGen !== 0) return; // known already
    s.failedGen = this.gen + 1;
    this.failedSegments.add(s);
    this.host.retire(s);
    this.schedule();
  }

  /** An fsync of `s` succeeded; `genAtStart`: the rewrite it held when the fsync began. */
  synced(s: Segment, genAtStart: number): void {
    if (s.failedGen !== 0) return; // after a failure, a success proves nothing
    if (genAtStart !== 0 && genAtStart === this.gen) this.unsynced.delete(s);
    if (this.failures === 0 || this.unsynced.size > 0 || this.timer) return;
    // The rewrite is on disk (or there was nothing to rewrite): the bound holds again.
    this.dropFailedSegments(this.gen);
    this.attempt = 0;
    this.log.info(
      { journalDir: this.journalDir, afterFailures: this.failures, rewrittenPairs: this.rewrittenPairs },
      'journal fsync succeeds again: the pairs not yet saved are on disk in a fresh segment, so a power loss loses at most fsyncMs of them again',
    );
    this.failures = 0;
  }

  /** At exit or stop: no more rewrites. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.failedSegments.clear();
  }

  private schedule(): void {
    if (this.timer) return;
    const delay = this.attempt === 0 ? 0 : backoffDelay(this.attempt, REWRITE_RETRY_BASE_MS, REWRITE_RETRY_MAX_MS);
    this.attempt++;
    this.timer = setTimeout(this.rewrite, delay);
    this.timer.unref();
  }

  /** Writes every pair not yet saved again, into the current (healthy) segment or fresh ones, and fsyncs them. */
  private readonly rewrite = (): void => {
    this.timer = null;
    const gen = ++this.gen;
    this.unsynced.clear();
    const pairs = identifyAll(this.host.unsavedBatches());
    this.rewrittenPairs = pairs.length;
    if (pairs.length === 0) {
      this.dropFailedSegments(gen); // every pair of theirs is saved elsewhere
      this.attempt = 0;
      return;
    }
    this.writingGen = gen;
    const ok = this.host.write(identifiedBatch(pairs, 0, false));
    this.writingGen = 0;
    if (!ok) {
      this.unsynced.clear();
      this.schedule(); // the write itself failed (the writer logged it): again, later
      return;
    }
    for (const s of this.unsynced) if (this.host.held(s)) this.host.sync(s); // the rotated ones too: their fsync waits otherwise
  };

  /** Segments whose fsync failed, once every unsaved pair of theirs is on disk elsewhere: never read back half-written. */
  private dropFailedSegments(gen: number): void {
    for (const s of this.failedSegments) {
      if (s.failedGen > gen) continue;
      this.failedSegments.delete(s);
      if (this.host.held(s)) this.host.remove(s);
    }
  }
}
