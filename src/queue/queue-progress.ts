// What the queue reports as work lands: its counters and the 'spilled', 'quarantined' and
// 'idle' events, the spill files it owns (the spill dir marked as this sink's on the first),
// and, whenever a frontier may have moved, journal segments released and flush waiters settled.
import type { EventEmitter } from 'node:events';
import type { JournalWriter } from '../journal/journal-writer.js';
import { errorFields, type Logger } from '../log.js';
import { assertDirOwner } from '../spill/dir-owner.js';
import type { ReplayOutcome } from '../spill/replay.js';
import type { Backlog } from './backlog.js';
import type { QueueEvents } from './events.js';
import type { FlushWaiters } from './flush-waiters.js';

/** The queue's counters progress adds to. */
export interface ProgressCounters {
  spilledPairs: number;
  spilledFiles: number;
  quarantinedFiles: number;
  tornJournalLines: number;
}

export interface ProgressParts {
  backlog: Backlog;
  journal: JournalWriter | null;
  flushWaiters: FlushWaiters;
  /** The lowest sequence not yet durable in the sink: flush's frontier. */
  sinkFrontier(): number;
}

export class QueueProgress {
  /** Work was done since the last 'idle' (or ever): the next drained moment says 'idle'. */
  private wasBusy = false;
  private spillDirOwned = false;
  /**
   * The lowest sequence of a spill file of ours that was read back without reaching the
   * sink (quarantined, or pairs the sink refused set aside): flush never passes it.
   */
  notInSinkSeq = Infinity;

  constructor(
    private readonly events: EventEmitter<QueueEvents>,
    private readonly log: Logger,
    private readonly counters: ProgressCounters,
    private readonly parts: ProgressParts,
    private readonly spillDir: string,
    private readonly sinkId: string,
  ) {}

  /** Pairs were accepted: 'idle' follows once they are durable. */
  noteBusy(): void {
    this.wasBusy = true;
  }

  assertSpillDirOwned(): void {
    if (this.spillDirOwned) return;
    // The writer creates the dir on the first spill; mark it ours before anything lands there.
    this.spillDirOwned = assertDirOwner(this.spillDir, this.sinkId, 'spill directory');
  }

  spilled(files: { name: string; pairs: number }[], minSeq: number): void {
    if (!this.spillDirOwned) this.assertSpillDirOwned(); // the first spill made the dir: mark it ours
    for (const { name, pairs } of files) {
      this.counters.spilledPairs += pairs;
      this.counters.spilledFiles++;
      this.parts.backlog.ownFiles.set(name, minSeq);
      this.emit('spilled', { file: name, pairs });
    }
  }

  readBack(name: string, outcome: ReplayOutcome): void {
    const ownSeq = this.parts.backlog.ownFiles.get(name);
    this.parts.backlog.ownFiles.delete(name);
    // Pairs for unknown records are skipped, as in a fresh batch; quarantined or refused ones are in no sink.
    const leftOut = outcome.kind === 'quarantined' || (outcome.kind === 'applied' && (outcome.setAside?.refused ?? 0) > 0);
    if (ownSeq !== undefined && leftOut) this.notInSinkSeq = Math.min(this.notInSinkSeq, ownSeq);
    this.wasBusy = true; // a file read back is work done: 'idle' follows
    if (outcome.kind === 'quarantined') {
      this.counters.quarantinedFiles++;
      this.emit('quarantined', { file: name, reason: outcome.reason });
    }
    if (outcome.kind === 'applied') {
      if (outcome.setAside) {
        this.counters.quarantinedFiles++;
        this.emit('quarantined', { file: outcome.setAside.as, reason: `${outcome.setAside.pairs} pairs of ${name} set aside` });
      }
      if (outcome.tornLines) this.counters.tornJournalLines += outcome.tornLines;
      if (outcome.rest) {
        // A journal segment's rest after zeros: its lines before them applied, the rest set aside.
        this.counters.quarantinedFiles++;
        this.emit('quarantined', { file: outcome.rest.as, reason: `the rest of ${name} from line ${outcome.rest.line} set aside: ${outcome.rest.reason}` });
      }
    }
    this.changed();
  }

  /** The frontier may have moved: journal segments go, flush waiters settle, 'idle' is told. */
  changed(): void {
    const { backlog, journal, flushWaiters } = this.parts;
    journal?.release(backlog.oldestUnsavedSeq());
    flushWaiters.check(this.parts.sinkFrontier());
    const busy = backlog.pendingPairs > 0 || backlog.ownFiles.size > 0;
    if (this.wasBusy && !busy) this.emit('idle');
    this.wasBusy = busy;
  }

  /** A listener that throws must not break the worker: its error is logged. */
  emit<K extends keyof QueueEvents>(event: K, ...args: QueueEvents[K]): void {
    try {
      this.events.emit(event, ...(args as never));
    } catch (err) {
      this.log.error({ event, ...errorFields(err) }, 'a queue event listener threw; the queue goes on');
    }
  }
}
