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

/** Slots a batch queue starts with; it doubles when full. */
const INITIAL_SLOTS = 1024;
/** An empty queue larger than this goes back to INITIAL_SLOTS (a burst does not pin its memory). */
const KEEP_SLOTS = 8192;

/**
 * The in-memory queue of batches: a ring whose slots outlive the batches, so `push` on the
 * hot path never grows (and copies) an array that was emptied a moment ago — it grows only
 * past the most batches ever held (Array.prototype.shift would copy large arrays, too).
 */
export class BatchQueue {
  private ring: (PendingBatch | undefined)[] = new Array<PendingBatch | undefined>(INITIAL_SLOTS).fill(undefined);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  first(): PendingBatch | undefined {
    return this.count > 0 ? this.ring[this.head] : undefined;
  }

  last(): PendingBatch | undefined {
    return this.count > 0 ? this.ring[(this.head + this.count - 1) % this.ring.length] : undefined;
  }

  push(b: PendingBatch): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) % this.ring.length] = b;
    this.count++;
  }

  unshift(b: PendingBatch): void {
    if (this.count === this.ring.length) this.grow();
    this.head = (this.head + this.ring.length - 1) % this.ring.length;
    this.ring[this.head] = b;
    this.count++;
  }

  shift(): PendingBatch | undefined {
    if (this.count === 0) return undefined;
    const b = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    if (--this.count === 0) this.emptied();
    return b;
  }

  /** Every batch, oldest first; the queue is left as it is. */
  toArray(): PendingBatch[] {
    const all = new Array<PendingBatch>(this.count);
    for (let i = 0; i < all.length; i++) all[i] = this.ring[(this.head + i) % this.ring.length]!;
    return all;
  }

  /** Every batch, oldest first; the queue is left empty. */
  takeAll(): PendingBatch[] {
    const all = new Array<PendingBatch>(this.count);
    for (let i = 0; i < all.length; i++) {
      const at = (this.head + i) % this.ring.length;
      all[i] = this.ring[at]!;
      this.ring[at] = undefined;
    }
    this.count = 0;
    this.emptied();
    return all;
  }

  private emptied(): void {
    this.head = 0;
    if (this.ring.length > KEEP_SLOTS) this.ring = new Array<PendingBatch | undefined>(INITIAL_SLOTS).fill(undefined);
  }

  private grow(): void {
    const next = new Array<PendingBatch | undefined>(this.ring.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }
}
