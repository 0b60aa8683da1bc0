// Entry ids for the pairs of one sink batch that arrive without one (the sync fallback,
// a caller of appendProvenanceBatch): one block reserved per batch, on first need.
import { formatEntryId, reserveEntryIds, type IdBlock } from '../entry-id.js';
import type { ProvenancePair } from '../schemas.js';

export class BatchEntryIds {
  private block: IdBlock | undefined;

  constructor(private readonly pairs: readonly ProvenancePair[]) {}

  /** Some pair got its id here (it had none): the ids exist nowhere but in this batch. */
  get assigned(): boolean {
    return this.block !== undefined;
  }

  /** The pair's own entryId, or one from the batch's block (stable per index). */
  idAt(i: number): string {
    const own = this.pairs[i]![1].entryId;
    if (own !== undefined) return own;
    this.block ??= reserveEntryIds(this.pairs.length);
    return formatEntryId(this.block.ms, this.block.seq0 + i);
  }
}
