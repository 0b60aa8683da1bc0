// What the journal does while its writes fail (its disk full, ENOSPC; EIO): the pairs stay in
// memory and go on to the sink, without crash protection until a write succeeds again, and
// that write's turn journals every pair not yet saved again (journal-writer.ts). Each turn's
// write is an attempt, so under load space coming back is noticed at once; with no enqueue
// to try, a small write (one unsaved pair) is tried on a timer, backed off to RETRY_MAX_MS,
// so an idle queue notices it too. One error line per episode, one line at its end.
import { errorFields, type Logger } from '../log.js';
import { backoffDelay } from '../queue/backoff.js';
import { identifiedBatch, identifyInto, remainingPairs, type PendingBatch } from '../queue/pending-batches.js';
import type { IdentifiedPair } from '../spill/spill-writer.js';

const RETRY_BASE_MS = 50;
/** Space given back is noticed within this long (about) when nothing is enqueued meanwhile. */
export const RETRY_MAX_MS = 1000;
/** A turn's write failed this recently: the timer writes nothing (under load turns keep trying). */
const TRIED_JUST_NOW_MS = 20;

export class WriteFailures {
  /** Failed writes since the last one that succeeded (0: none). */
  private failures = 0;
  /** A write succeeded after failed ones: every pair not yet saved is to be journaled again. */
  again = false;
  private lastFailedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly journalDir: string,
    private readonly log: Logger,
    private readonly counters: { journalErrors: number },
    /** Every batch not yet saved (JournalBacklog). */
    private readonly unsavedBatches: () => PendingBatch[],
    /** Journals a batch now. */
    private readonly write: (batch: PendingBatch) => void,
  ) {}

  failed(err: unknown): void {
    this.counters.journalErrors++;
    this.lastFailedAt = performance.now();
    if (this.failures++ === 0) {
      this.log.error(
        { journalDir: this.journalDir, ...errorFields(err) },
        'cannot write the journal; pairs stay queued in memory without crash protection until it works again',
      );
    }
    this.schedule();
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.log.info({ journalDir: this.journalDir, afterFailures: this.failures }, 'journal writes succeed again; journaling the pairs not yet saved again');
    this.again = true;
    this.failures = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** At exit or stop: no more retries. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(this.tryAgain, backoffDelay(this.failures, RETRY_BASE_MS, RETRY_MAX_MS));
    this.timer.unref();
  }

  /** One unsaved pair written again (a duplicate line is harmless: its entry id makes it once). */
  private readonly tryAgain = (): void => {
    this.timer = null;
    if (this.failures === 0 || this.stopped) return;
    if (performance.now() - this.lastFailedAt >= TRIED_JUST_NOW_MS) {
      const b = this.unsavedBatches().find((x) => remainingPairs(x) > 0);
      if (!b) return; // nothing unprotected; the next enqueue's write tries again
      const one: IdentifiedPair[] = [];
      identifyInto(b, b.offset, b.offset + 1, one);
      this.write(identifiedBatch(one, 0, false)); // a success ends the episode (succeeded)
    }
    if (this.failures > 0) this.schedule();
  };
}
