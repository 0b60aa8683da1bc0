// Every pair the queue holds that is not yet durable in the sink, wherever it is: waiting
// in memory, in a sink call, gathered as overflow, being spilled, or in a spill file this
// queue wrote. Two frontiers come out of it: what is saved on disk (the journal may drop
// older segments) and what is durable in the sink (flush).
import type { IdentifiedPair } from '../spill/spill-writer.js';
import { OverflowLines, type LineRun } from './overflow-lines.js';
import { BatchQueue, identifiedBatch, oldestSeqOf, remainingPairs, type PendingBatch } from './pending-batches.js';

/** Pairs taken out of memory for one sink call or one spill write. */
export interface TakenPairs {
  pairs: IdentifiedPair[];
  /** The lowest sequence number among them. */
  minSeq: number;
  /** Some carry an entryId given with the pair, not assigned here: the sink must not replace a stored one. */
  inputIds?: boolean;
  /** Overflow taken as spill lines for one spill write (`pairs` is empty then): pairs again only if needed. */
  lines?: { runs: LineRun[]; pairs: number };
}

/** How many pairs were taken. */
export function takenCount(t: TakenPairs): number {
  return t.lines ? t.lines.pairs : t.pairs.length;
}

/** The taken pairs as objects (decoding taken lines): for a write at exit, or back into memory. */
export function takenPairs(t: TakenPairs): IdentifiedPair[] {
  if (!t.lines) return t.pairs;
  const pairs: IdentifiedPair[] = [];
  for (const b of OverflowLines.decodeRuns(t.lines.runs)) for (const p of b.pairs) pairs.push(p);
  return pairs;
}

export class Backlog {
  readonly memory = new BatchQueue();
  memoryPairs = 0;
  /**
   * Batches past maxQueueSize, as spill lines, waiting to be spilled — or taken by a sink
   * call once memory is empty. Everything in it is newer than everything in memory.
   */
  readonly overflow = new OverflowLines();
  /** Sink calls and spill writes under way. */
  private readonly busy = new Set<TakenPairs>();
  private busyPairs = 0;
  /** Spill files this queue wrote and has not read back yet, with the lowest sequence each holds. */
  readonly ownFiles = new Map<string, number>();

  get overflowPairs(): number {
    return this.overflow.pairs;
  }

  get pendingPairs(): number {
    return this.memoryPairs + this.overflowPairs + this.busyPairs;
  }

  get busyCount(): number {
    return this.busy.size;
  }

  push(b: PendingBatch): void {
    this.memory.push(b);
    this.memoryPairs += remainingPairs(b);
  }

  /** Marks pairs as on their way (a sink call or a spill write); `done` when that ends either way. */
  begin(t: TakenPairs): void {
    this.busy.add(t);
    this.busyPairs += takenCount(t);
  }

  /** True while `t` is on its way (begun, not done). */
  isBusy(t: TakenPairs): boolean {
    return this.busy.has(t);
  }

  done(t: TakenPairs): void {
    if (this.busy.delete(t)) this.busyPairs -= takenCount(t);
  }

  /**
   * Puts pairs whose write failed back in memory, in front of the pairs enqueued after
   * them. Calls in flight fail in any order: a later call's pairs go behind an earlier
   * call's put back before them, so memory's first batch is always its oldest (the frontier).
   */
  putBack(t: TakenPairs): void {
    const pairs = takenPairs(t); // decoded before memory is touched: should it throw, nothing has moved
    const older: PendingBatch[] = [];
    for (let b = this.memory.first(); b && oldestSeqOf(b) < t.minSeq; b = this.memory.first()) older.push(this.memory.shift()!);
    this.memory.unshift(identifiedBatch(pairs, t.minSeq, t.inputIds ?? false));
    for (let i = older.length - 1; i >= 0; i--) this.memory.unshift(older[i]!);
    this.memoryPairs += pairs.length;
  }

  /** The lowest sequence not yet saved anywhere durable (sink or spill file): the journal's frontier. */
  oldestUnsavedSeq(): number {
    let min = Infinity;
    const first = this.memory.first();
    if (first) min = oldestSeqOf(first);
    min = Math.min(min, this.overflow.minSeq);
    for (const t of this.busy) if (t.minSeq < min) min = t.minSeq;
    return min;
  }

  /** The lowest sequence of memory's newest batch (-Infinity when memory is empty). */
  newestInMemorySeq(): number {
    const last = this.memory.last();
    return last ? oldestSeqOf(last) : -Infinity;
  }

  /** The lowest sequence not yet durable in the sink: flush's frontier. */
  oldestPendingSeq(): number {
    let min = this.oldestUnsavedSeq();
    for (const seq of this.ownFiles.values()) if (seq < min) min = seq;
    return min;
  }

  /**
   * Everything not yet saved, oldest first, for a synchronous write at exit or at a stop
   * deadline. Pairs of calls still under way are included: if such a call lands after all,
   * the entry ids make the second write a no-op.
   */
  takeAllUnsaved(): PendingBatch[] {
    const all = [...this.busyBatches(), ...this.memory.takeAll(), ...this.overflow.takeAll()];
    this.busy.clear();
    this.memoryPairs = this.busyPairs = 0;
    return all;
  }

  /**
   * Everything not yet saved, oldest first, left where it is: the journal writes it again
   * after an fsync of a segment failed (pairs of calls under way included, as above).
   */
  unsavedBatches(): PendingBatch[] {
    return [...this.busyBatches(), ...this.memory.toArray(), ...this.overflow.decodeAll()];
  }

  private busyBatches(): PendingBatch[] {
    return [...this.busy].sort((a, b) => a.minSeq - b.minSeq).map((t) => identifiedBatch(takenPairs(t), t.minSeq, t.inputIds ?? false));
  }
}
