// The LMDB keys of a batch's pairs: [recordId, entryId], with ids reserved for pairs that
// have none, and records looked up once per batch.
import type { Database } from 'lmdb';
import type { ProvenancePair, StoredProvenanceEntry } from '../schemas.js';
import { BatchEntryIds } from './batch-entry-ids.js';

export type ProvenanceKey = [recordId: string, entryId: string];

/**
 * The keys of a batch's pairs: a pair whose record is unknown has none (and is counted); a
 * pair without an entryId gets one from a block reserved for the batch. Each record is
 * looked up once per batch, however many of its pairs the batch holds.
 */
export class EntryKeys {
  readonly unknown: ProvenancePair[] = [];
  private readonly known = new Map<string, boolean>();
  private readonly ids: BatchEntryIds;

  constructor(
    private readonly records: Database<unknown, string>,
    private readonly pairs: ProvenancePair[],
  ) {
    this.ids = new BatchEntryIds(pairs);
  }

  keyOf(i: number): ProvenanceKey | undefined {
    const recordId = this.pairs[i]![0];
    let exists = this.known.get(recordId);
    if (exists === undefined) this.known.set(recordId, (exists = this.records.doesExist(recordId)));
    if (!exists) {
      this.unknown.push(this.pairs[i]!);
      return undefined;
    }
    return [recordId, this.ids.idAt(i)];
  }

  /** The entry to store under `key` (from keyOf), carrying the key's entryId. */
  valueOf(i: number, key: ProvenanceKey): StoredProvenanceEntry {
    const entry = this.pairs[i]![1];
    return entry.entryId === undefined ? { ...entry, entryId: key[1] } : (entry as StoredProvenanceEntry);
  }
}
