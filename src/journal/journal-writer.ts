// The journal: every batch the queue accepts is appended, in the spill line format, to a
// segment file before the turn of the event loop that enqueued it ends (one write per turn,
// from a microtask), so a process crash loses no acknowledged pair. A segment is deleted
// once every pair in it is saved elsewhere (in the sink or a spill file); while its writer
// lives it holds a claim on it, so no other process reads it back. Writes are fsync'd
// within fsyncMs. Failed writes: write-failures.ts; failed fsyncs: fsync-failures.ts.
import { writeSync } from 'node:fs';
import { errorFields, type Logger } from '../log.js';
import { identifiedBatch, identifyAll, type PendingBatch } from '../queue/pending-batches.js';
import { MAX_SPILL_FILE_PAIRS } from '../spill/spill-writer.js';
import { FsyncFailures } from './fsync-failures.js';
import { segmentsWrittenHere } from './journal-names.js';
import { SegmentRemovals } from './segment-removals.js';
import { journalMapFor, type JournalMap } from './journal-map.js';
import { closeSegment, openSegment, retireSegment, syncSegment, syncSegmentSync, unmapSegmentNow, type Segment } from './journal-segment.js';
import { COPY_MAX_BYTES, mappedSegmentBytes, touchStep, wantsTouch, writeIntoSegment } from './mapped-segment.js';
import { CHUNK_BYTES, TurnLines } from './turn-lines.js';
import { WriteFailures } from './write-failures.js';

export interface JournalOptions {
  segmentBytes: number;
  fsyncMs: number;
  /** The claim a live writer holds is refreshed at half this period. */
  claimStaleMs: number;
  /** Segments mapped with this (mapped-segment.ts); null: write(2). Default: journalMapFor. */
  map?: JournalMap | null;
}

/** What the writer asks of the queue's backlog: asked when needed, never remembered (it moves back as pairs are enqueued). */
export interface JournalBacklog {
  /** The lowest sequence number not yet saved in the sink or a spill file. */
  oldestUnsavedSeq(): number;
  /** Every batch not yet saved, left where it is: written again after an fsync failed. */
  unsavedBatches(): PendingBatch[];
}

/**
 * A claim not refreshed for this long (it is refreshed every second) may soon be taken
 * over: a reader takes one that has not been refreshed for 2 s (the least claimStaleMs).
 * Only an event loop held up for over 0.75 s gets there (timers late under load do not).
 */
const CLAIM_FRESH_MS = 1750;

/** A saved current segment is deleted once no write was made or tried for this long (lastWriteAt). */
const QUIET_MS = 500;

export class JournalWriter {
  private current: Segment | null = null;
  private readonly full: Segment[] = [];
  /** Rotated segments not fsync'd since their last write (their descriptors open): fsync'd with the current one when a write is due. */
  private rotatedUnsynced: Segment[] = [];
  /** This turn's batches and overflow's lines, written together when it ends. */
  private readonly turn = new TurnLines((bytes, pairs) => this.write(bytes, pairs, this.pendingHiSeq));
  private pendingHiSeq = 0;
  private scheduled = false;
  private fsyncDue = false;
  /** Writes since the last fsync: [hiSeq, performance.now()] pairs, oldest first. */
  private readonly unsynced: number[] = [];
  private lastWriteAt = 0;
  private readonly writeFailures: WriteFailures;
  private readonly fsyncFailures: FsyncFailures;
  private readonly map: JournalMap | null;
  /** A mapped segment could not be allocated (a full disk): said once until one can. */
  private unmappedSaid = false;
  private touchScheduled = false;
  private readonly removals: SegmentRemovals;

  constructor(
    readonly dir: string,
    private readonly opts: JournalOptions,
    private readonly log: Logger,
    private readonly counters: { journalErrors: number },
    private readonly backlog: JournalBacklog,
  ) {
    this.map = opts.map === undefined ? journalMapFor(dir, log) : opts.map;
    this.removals = new SegmentRemovals(dir, log);
    const writeNow = (batch: PendingBatch) => {
      this.turn.addBatch(batch);
      this.writePending();
    };
    this.writeFailures = new WriteFailures(dir, log, counters, () => backlog.unsavedBatches(), writeNow);
    this.fsyncFailures = new FsyncFailures(dir, log, counters, {
      unsavedBatches: () => backlog.unsavedBatches(),
      write: (batch) => {
        this.writePending(); // this turn's lines first, as they would have gone
        this.turn.addBatch(batch);
        const before = this.counters.journalErrors;
        this.writePending();
        return this.counters.journalErrors === before;
      },
      retire: (s) => {
        if (s !== this.current) return;
        this.current = null;
        this.full.push(s);
        closeSegment(s);
      },
      held: (s) => s === this.current || this.full.includes(s),
      remove: (s) => {
        const i = this.full.indexOf(s);
        if (i >= 0) this.full.splice(i, 1);
        this.remove(s);
      },
      sync: (s) => this.sync(s),
    });
  }

  /** Journals a batch before this turn ends. `hiSeq`: one past its last sequence number. */
  add(batch: PendingBatch, hiSeq: number): void {
    this.turn.addBatch(batch);
    this.scheduleTurn(hiSeq);
  }

  /**
   * Journals overflow's lines of a batch (formatted as enqueue took it) before this turn
   * ends: copied now, not formatted again. `hiSeq`: one past its last sequence number.
   */
  addLines(lines: Uint8Array, pairs: number, hiSeq: number): void {
    this.turn.addLines(lines, pairs);
    this.scheduleTurn(hiSeq);
  }

  private scheduleTurn(hiSeq: number): void {
    this.pendingHiSeq = hiSeq;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.writePending);
  }

  /**
   * Writes what was added this turn now (the microtask does it otherwise): lines gathered
   * in one reused buffer and written with one `writeSync` — no string or Buffer per pair or
   * turn for the collector — unless the turn is larger than a chunk or a segment holds.
   */
  readonly writePending = (): void => {
    this.scheduled = false;
    if (this.turn.pending === 0) return;
    // After a stall, before a line goes into a segment another process may have read back and
    // deleted meanwhile (proper-lockfile would say so only at its next refresh, after this
    // turn's pairs were acknowledged).
    if (this.current && performance.now() - this.current.refreshedAt > CLAIM_FRESH_MS) this.claimLost(this.current);
    const cap = Math.min(this.opts.segmentBytes, CHUNK_BYTES);
    this.turn.flush(cap);
    if (!this.writeFailures.again) return;
    // Writes succeed again after failed ones (a full disk freed): the pairs of those are in no
    // segment, or in a torn line; every pair not yet saved is journaled again, now.
    this.writeFailures.again = false;
    this.journalUnsaved();
    this.turn.flush(cap);
  };

  /**
   * Deletes the segments whose pairs are all saved: every sequence below `frontier` is in
   * the sink or a spill file. The current segment goes too once it is all saved and has had
   * no write for QUIET_MS, so an idle queue leaves no journal behind, while a busy one does
   * not pay for a new segment (a claim, a create, a delete) every time it catches up.
   */
  release(frontier: number): void {
    while (this.full.length > 0 && this.full[0]!.hiSeq <= frontier) this.removals.inBackground(this.full.shift()!);
    const cur = this.current;
    if (cur && this.turn.pending === 0 && cur.hiSeq <= frontier && performance.now() - this.lastWriteAt >= QUIET_MS) {
      this.current = null;
      this.removals.inBackground(cur);
    }
  }

  /** At exit or a stop deadline, after everything was saved: removes every segment now. */
  removeAll(): void {
    this.writeFailures.stop();
    this.fsyncFailures.stop();
    this.turn.clear();
    this.removals.finish();
    for (const s of this.full.splice(0)) this.remove(s);
    if (this.current) this.remove(this.current);
    this.current = null;
    this.rotatedUnsynced = [];
  }

  /** At exit when saving failed: what is journaled stays for the next start to read back. */
  leaveForRecovery(): void {
    this.writeFailures.stop();
    this.fsyncFailures.stop();
    this.removals.finish(); // their pairs are saved: nothing to recover from them
    this.writePending();
    const unsynced: string[] = [];
    let error: unknown;
    for (const s of [...this.full.splice(0), ...(this.current ? [this.current] : [])]) {
      // The only copy now: on disk before the process ends, not only in the page cache. A
      // segment whose fsync failed once is not asked again: a second fsync would not tell.
      unmapSegmentNow(s); // cut to its lines first: the fsync covers the length too
      if (s.failedGen !== 0) unsynced.push(s.name);
      else if (s.openFd !== null) {
        try {
          syncSegmentSync(s, s.openFd);
        } catch (err) {
          this.counters.journalErrors++;
          unsynced.push(s.name);
          error = err;
        }
      }
      closeSegment(s);
      s.unlock();
      segmentsWrittenHere.delete(s.name); // a queue started later in this process may read them back
    }
    this.current = null;
    this.rotatedUnsynced = [];
    if (unsynced.length > 0) {
      this.log.error(
        { journalDir: this.dir, files: unsynced, ...(error ? errorFields(error) : {}) },
        'journal segments left for recovery at exit are not fsynced: their pairs survive this process ending but maybe not a power loss (they are on stderr too)',
      );
    }
  }

  private write(bytes: Buffer, pairs: number, hiSeq: number): void {
    let seg: Segment | null = null;
    let wrote = 0; // with write(2): the bytes of this write that reached the file
    let copied = false;
    try {
      seg = this.segmentFor(bytes.length, pairs);
      if (seg.mapped) copied = writeIntoSegment(seg.mapped, seg.fd!, seg.bytes, bytes);
      else while (wrote < bytes.length) wrote += writeSync(seg.fd!, bytes, wrote);
      seg.bytes += bytes.length;
      seg.pairs += pairs;
      seg.hiSeq = hiSeq;
      this.fsyncFailures.wrote(seg);
      this.lastWriteAt = performance.now();
      this.unsynced.push(hiSeq, this.lastWriteAt);
      this.scheduleFsync(this.opts.fsyncMs);
      // Pages are touched ahead only for copies: turns that go in with pwrite (sustained load)
      // never fault in the mapping, and touching pages a later pwrite fills was pure cost.
      if (copied && wantsTouch(seg.mapped!, seg.bytes)) this.scheduleTouch();
      this.writeFailures.succeeded();
    } catch (err) {
      // No crash protection until a write succeeds and journals every unsaved pair again. A segment
      // with bytes in it takes no more lines (a tear stays last; it goes once they are saved); an
      // empty one a write(2) left as it was stays current: a failed write a turn, not a segment.
      this.lastWriteAt = performance.now(); // tried: not quiet, so release() keeps it
      if (seg) {
        seg.hiSeq = Math.max(seg.hiSeq, hiSeq);
        if (!seg.mapped) seg.bytes += wrote; // the file's length, a torn line included
        if (seg === this.current && (seg.bytes > 0 || seg.mapped)) this.rotate(); // a failed copy: cut to its lines
      }
      this.writeFailures.failed(err);
    }
  }

  /**
   * Another process took a segment's claim over, or may have (this process stalled past the
   * reader's claimStaleMs, and its pid means nothing there: another pid namespace), and may have read the segment
   * back and deleted it: a line written there after its read would be in no file. The
   * segment takes no more writes, and every pair not yet saved is journaled again in a
   * fresh segment (this turn's among them, once): a later kill -9 loses none of them.
   */
  private claimLost(s: Segment): void {
    if (s.claimLost) return;
    s.claimLost = true;
    this.log.warn(
      { journalDir: this.dir, file: s.name },
      'journal claim not refreshed in time (this process stalled) or taken over; journaling the pairs not yet saved again in a fresh segment',
    );
    if (s === this.current) this.rotate();
    this.journalUnsaved();
  }

  /** Every pair not yet saved, journaled again before this turn ends (instead of this turn's lines: they are among them). */
  private journalUnsaved(): void {
    this.turn.clear();
    const unsaved = identifyAll(this.backlog.unsavedBatches());
    if (unsaved.length === 0) return;
    this.turn.addBatch(identifiedBatch(unsaved, 0, false));
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.writePending);
  }

  private segmentFor(bytes: number, pairs: number): Segment {
    const cur = this.current;
    if (cur && cur.bytes > 0 && (cur.bytes + bytes > this.opts.segmentBytes || cur.pairs + pairs > MAX_SPILL_FILE_PAIRS)) this.rotate();
    else if (cur?.mapped && cur.bytes + bytes > cur.mapped.capacity) this.rotate(); // its allocation is what it holds
    if (this.current) return this.current;
    // Mapped, a segment is allocated whole, and its first pages are touched now only when this
    // turn's bytes will be copied in.
    const mapping = this.map ? { map: this.map, bytes: mappedSegmentBytes(this.opts.segmentBytes, bytes, pairs), touchFirst: bytes <= COPY_MAX_BYTES } : null;
    const seg = openSegment(this.dir, this.opts.claimStaleMs, this.log, () => this.claimLost(seg), mapping);
    this.current = seg;
    if (mapping) this.noteMapping(seg);
    return this.current;
  }

  /**
   * The current segment's pages ahead of its end touched from setImmediates, TOUCH_STEP_BYTES
   * at a time: after the caller's turn, so a recall's copy finds them present and writable,
   * and in steps, so no turn of a busy loop waits for a whole window's faults. A copy that
   * gets there first faults as usual; a page that cannot be backed fails its copy (EIO) later.
   */
  private scheduleTouch(): void {
    if (this.touchScheduled) return;
    this.touchScheduled = true;
    setImmediate(() => {
      this.touchScheduled = false;
      const s = this.current;
      if (!s?.mapped) return;
      try {
        if (touchStep(s.mapped, s.bytes)) this.scheduleTouch();
      } catch {
        // its copy will say so, through the journal's error path
      }
    }).unref();
  }

  /** A segment that could not be allocated (a full disk, a quota) is written with write(2): said once until one can be again. */
  private noteMapping(seg: Segment): void {
    const said = this.unmappedSaid;
    this.unmappedSaid = !seg.mapped; // said again once one could be
    if (seg.mapped || said) return;
    this.log.warn(
      { journalDir: this.dir, file: seg.name, ...errorFields(seg.unmappedBecause) },
      'cannot allocate a mapped journal segment; writing it with write(2), which takes what the disk can still hold',
    );
  }

  /**
   * The current segment takes no more writes. Its fsync waits, like the current one's, for
   * its writes' fsyncMs: none is made when its pairs are all saved by then (a queue that
   * keeps up deletes it unsynced; an fsync here wrote every segment to the disk, beside the
   * sink's own commits). One whose fsync failed is closed: it is never fsync'd again.
   */
  private rotate(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    this.full.push(cur);
    if (cur.failedGen !== 0) {
      closeSegment(cur);
      return;
    }
    retireSegment(cur);
    this.rotatedUnsynced.push(cur);
  }

  /** The rotated segments waiting for an fsync: fsync'd if they hold pairs not saved below `saved` (when `due`), closed. */
  private settleRotated(saved: number, due: boolean): void {
    const rotated = this.rotatedUnsynced;
    this.rotatedUnsynced = [];
    for (const s of rotated) {
      if (!s.keptForFsync) continue; // removed or closed meanwhile
      if (due && s.hiSeq > saved) this.sync(s);
      closeSegment(s); // after an fsync under way ends
    }
  }

  private remove(s: Segment): void {
    this.removals.now(s);
  }

  private sync(s: Segment): void {
    const genAtStart = s.rewriteGen; // only an fsync begun after a rewrite was written covers it
    syncSegment(s, (err) => (err ? this.fsyncFailures.failed(s, err) : this.fsyncFailures.synced(s, genAtStart)));
  }

  /**
   * Power loss loses at most fsyncMs of journaled pairs: each write is fsync'd within
   * fsyncMs — unless its pairs are all saved elsewhere (the sink committed them, or a spill
   * file holds them) by then. A queue that keeps up never adds an fsync to the sink's own,
   * also while its newest pairs are always on their way.
   */
  private scheduleFsync(inMs: number): void {
    if (this.fsyncDue) return;
    this.fsyncDue = true;
    setTimeout(this.fsyncIfDue, Math.max(0, inMs)).unref();
  }

  private readonly fsyncIfDue = (): void => {
    this.fsyncDue = false;
    const u = this.unsynced;
    const saved = this.backlog.oldestUnsavedSeq();
    let i = 0;
    while (i < u.length && u[i]! <= saved) i += 2; // writes whose pairs are all saved
    if (i === u.length) {
      u.length = 0;
      this.settleRotated(saved, false);
      return;
    }
    const dueIn = u[i + 1]! + this.opts.fsyncMs - performance.now();
    if (dueIn > 1) {
      u.splice(0, i);
      this.scheduleFsync(dueIn); // the oldest unsaved write is not due yet
      return;
    }
    u.length = 0;
    if (this.current) this.sync(this.current);
    this.settleRotated(saved, true);
  };
}
