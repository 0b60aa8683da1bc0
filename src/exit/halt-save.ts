// Exit or a stop deadline halts the queue: from then on nothing is asynchronous. What is not
// yet saved is saved now — the sink's sync write, else a spill file, else stderr — and so is
// every later enqueue. The journal goes once that worked, and stays for recovery if not.
import type { JournalWriter } from '../journal/journal-writer.js';
import type { Logger } from '../log.js';
import type { Backlog } from '../queue/backlog.js';
import { identifyAll, oldestSeqOf, type PendingBatch } from '../queue/pending-batches.js';
import type { ProvenanceSink } from '../sink.js';
import type { SpillWriter } from '../spill/spill-writer.js';
import { countWritten, type WrittenCounters } from '../queue/queue-stats.js';
import { saveSync, type SaveFirst } from './exit-save.js';

/** The queue's counters a synchronous save adds to. */
export interface HaltSaveCounters extends WrittenCounters {
  spilledPairs: number;
  spilledFiles: number;
}

export class HaltSave {
  /** Set by the exit drain or a stop deadline: from then on every enqueue is saved synchronously. */
  halted = false;
  /** The lowest sequence saved synchronously somewhere other than the sink (a spill file, stderr): flush stays false for it. */
  savedOutsideSinkSeq = Infinity;
  /** After a stop deadline the sink is not answering: a spill file first, not its sync write. */
  private saveFirst: SaveFirst = 'sink';

  constructor(
    private readonly sink: ProvenanceSink,
    private readonly spillWriter: SpillWriter,
    private readonly backlog: Backlog,
    private readonly journal: JournalWriter | null,
    private readonly log: Logger,
    private readonly counters: HaltSaveCounters,
  ) {}

  /** Halts, and saves everything not yet saved, now. */
  halt(reason: string, first: SaveFirst): void {
    this.halted = true;
    this.saveFirst = first;
    // This turn's pairs are not journaled yet: the sync save makes them durable directly, and
    // only if it fails are they journaled (leaveForRecovery) — never formatted twice.
    const saved = this.save(this.backlog.takeAllUnsaved(), reason);
    if (saved) this.journal?.removeAll();
    else this.journal?.leaveForRecovery();
  }

  /** Saves pairs synchronously; false only when they reached nothing but stderr. */
  save(batches: PendingBatch[], reason: string): boolean {
    const pairs = identifyAll(batches);
    if (pairs.length === 0) return true;
    const saved = saveSync(pairs, this.sink, this.spillWriter, this.log, reason, this.saveFirst);
    if (saved.to === 'sink') {
      const { kept, duplicates } = readSyncAnswer(saved.answer, pairs.length);
      countWritten(this.counters, kept, duplicates, false);
    }
    else for (const b of batches) this.savedOutsideSinkSeq = Math.min(this.savedOutsideSinkSeq, oldestSeqOf(b));
    if (saved.to === 'spill') {
      this.counters.spilledPairs += pairs.length;
      this.counters.spilledFiles += saved.files.length;
    }
    return saved.to !== 'stderr';
  }
}

/**
 * The sync write's answer, counted as a sink call's is: the pairs it did not leave out
 * (unknown records) and those of them it found stored already. Never throws (this runs at
 * exit): an answer that cannot be read counts every pair as stored, as `void` does.
 */
function readSyncAnswer(answer: unknown, pairs: number): { kept: number; duplicates: number | undefined } {
  try {
    if (answer === null || typeof answer !== 'object') return { kept: pairs, duplicates: undefined };
    const { unknownRecords, duplicates } = answer as { unknownRecords?: unknown; duplicates?: unknown };
    const unknown = Array.isArray(unknownRecords) ? Math.min(unknownRecords.length, pairs) : 0;
    return { kept: pairs - unknown, duplicates: typeof duplicates === 'number' ? duplicates : undefined };
  } catch {
    return { kept: pairs, duplicates: undefined };
  }
}
