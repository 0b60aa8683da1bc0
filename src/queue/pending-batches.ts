// In-memory batches waiting for the sink. A batch keeps the pairs as the caller gave them
// plus the block of entry ids reserved at enqueue; ids become strings only when written.
import { formatEntryId } from '../entry-id.js';
import type { ProvenancePair } from '../schemas.js';
import type { IdentifiedPair } from '../spill/spill-writer.js';

export interface PendingBatch {
  pairs: ProvenancePair[];
  ms: number;
  /** The first reserved sequence number; for an identified batch, the lowest it holds. */
  seq0: number;
  /** Pairs before this index were already taken. */
  offset: number;
  /** True when the pairs already carry their entryId (they came back from a failed write). */
  identified: boolean;
  /** Some pairs came with an entryId of their own (read back from a store): it may be stored already. */
  inputIds: boolean;
}

export function pendingBatch(pairs: ProvenancePair[], ms: number, seq0: number, inputIds: boolean): PendingBatch {
  return { pairs, ms, seq0, offset: 0, identified: false, inputIds };
}

export function identifiedBatch(pairs: IdentifiedPair[], minSeq: number, inputIds: boolean): PendingBatch {
  return { pairs, ms: 0, seq0: minSeq, offset: 0, identified: true, inputIds };
}

/** The lowest sequence number still in the batch (for an identified batch, a floor). */
export function oldestSeqOf(b: PendingBatch): number {
  return b.identified ? b.seq0 : b.seq0 + b.offset;
}

/**
 * Appends pairs [from, to) of a batch to `out`, each entry carrying its entryId. The entries
 * are the queue's own copies (made by `parsePairs`), so the id is set in place.
 */
export function identifyInto(b: PendingBatch, from: number, to: number, out: IdentifiedPair[]): void {
  for (let i = from; i < to; i++) out.push(identifiedPair(b, i));
}

/** Pair `i` of a batch, its entry carrying its entryId (set in place, as above). */
export function identifiedPair(b: PendingBatch, i: number): IdentifiedPair {
  const pair = b.pairs[i]!;
  if (!b.identified && pair[1].entryId === undefined) pair[1].entryId = formatEntryId(b.ms, b.seq0 + i);
  return pair as IdentifiedPair;
}

/** Every pair left in the batches, identified, in order. */
export function identifyAll(batches: readonly PendingBatch[], out: IdentifiedPair[] = []): IdentifiedPair[] {
  for (const b of batches) identifyInto(b, b.offset, b.pairs.length, out);
  return out;
}

export function remainingPairs(b: PendingBatch): number {
  return b.pairs.length - b.offset;
}

/**
 * The in-memory queue of batches: a FIFO whose `shift` is O(1) however many batches wait
 * (Array.prototype.shift copies large arrays), with `unshift` for a batch put back in front.
 */
export class BatchQueue {
  private items: (PendingBatch | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  first(): PendingBatch | undefined {
    return this.items[this.head];
  }

  push(b: PendingBatch): void {
    this.items.push(b);
  }

  unshift(b: PendingBatch): void {
    if (this.head > 0) this.items[--this.head] = b;
    else this.items.unshift(b);
  }

  shift(): PendingBatch | undefined {
    const b = this.items[this.head];
    if (b === undefined) return undefined;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return b;
  }

  /** Every batch, oldest first; the queue is left empty. */
  takeAll(): PendingBatch[] {
    const all = this.items.slice(this.head) as PendingBatch[];
    this.items = [];
    this.head = 0;
    return all;
  }
}
