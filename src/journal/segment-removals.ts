// Deleting journal segments whose pairs are all saved: now (stop, exit, a failed fsync's
// rewrite), or in the thread pool while the queue runs — an unlink frees the file's pages
// and blocks, ~1 ms of the caller's turn a segment — and then its claim's directory. A
// segment's claim is released only once its file is gone, so no other process reads it back
// meanwhile; stop and exit finish both (finish()).
import { rmSync, unlink, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { errorFields, type Logger } from '../log.js';
import { segmentsWrittenHere } from './journal-names.js';
import { closeSegment, type Segment } from './journal-segment.js';

export class SegmentRemovals {
  /** Segments whose unlink is under way in the thread pool. */
  private readonly underWay = new Set<Segment>();
  /** Segments whose file is gone and whose claim's directory is being removed in the pool. */
  private readonly unclaiming = new Set<Segment>();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  now(s: Segment): void {
    closeSegment(s, true);
    this.unlinkNow(s);
  }

  inBackground(s: Segment): void {
    closeSegment(s, true);
    this.underWay.add(s);
    unlink(join(this.dir, s.name), (err) => {
      if (!this.underWay.delete(s)) return; // finish() did it
      this.warnIfFailed(s, err);
      segmentsWrittenHere.delete(s.name);
      this.unclaiming.add(s);
      void s.unlockInBackground().then(() => this.unclaiming.delete(s));
    });
  }

  /** The removals under way, done now (an unlink or rmdir that gets there second finds ENOENT). */
  finish(): void {
    for (const s of [...this.underWay]) {
      this.underWay.delete(s);
      this.unlinkNow(s);
    }
    for (const s of [...this.unclaiming]) {
      this.unclaiming.delete(s);
      rmSync(`${join(this.dir, s.name)}.lock`, { recursive: true, force: true }); // proper-lockfile's claim: a directory
    }
  }

  private unlinkNow(s: Segment): void {
    let error: unknown = null;
    try {
      unlinkSync(join(this.dir, s.name));
    } catch (err) {
      error = err;
    }
    this.removed(s, error);
  }

  private removed(s: Segment, err: unknown): void {
    this.warnIfFailed(s, err);
    segmentsWrittenHere.delete(s.name);
    s.unlock();
  }

  private warnIfFailed(s: Segment, err: unknown): void {
    if (err && (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      this.log.warn({ file: s.name, ...errorFields(err) }, 'cannot remove a journal segment whose pairs are saved; a reader will find them stored already');
    }
  }
}
