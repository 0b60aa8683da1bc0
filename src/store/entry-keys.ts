// The LMDB keys of a batch's pairs: [recordId, entryId], with ids reserved for pairs that
// have none. A record the store knows exists (records are never deleted) is not looked up;
// any other is looked up once per batch, in a fresh read snapshot.
import type { Database } from 'lmdb';
import type { ProvenancePair, StoredProvenanceEntry } from '../schemas.js';
import { BatchEntryIds } from './batch-entry-ids.js';

export type ProvenanceKey = [recordId: string, entryId: string];

/**
 * The keys of a batch's pairs: a pair whose record is unknown has none (and is counted); a
 * pair without an entryId gets one from a block reserved for the batch. A record `stored`
 * vouches for is taken as it is (a batch spread over 256 records paid 256 reads); any other
 * is looked up in LMDB once per batch, however many of its pairs the batch holds — another
 * process may have inserted it since.
 */
export class EntryKeys {
  readonly unknown: ProvenancePair[] = [];
  private readonly looked = new Map<string, boolean>();
  private readonly ids: BatchEntryIds;

  /** `stored(id)`: true only for a record known to be in LMDB (records are never deleted). */
  constructor(
    private readonly records: Database<unknown, string>,
    private readonly pairs: ProvenancePair[],
    private readonly stored: (recordId: string) => boolean,
  ) {
    this.ids = new BatchEntryIds(pairs);
  }

  keyOf(i: number): ProvenanceKey | undefined {
    const recordId = this.pairs[i]![0];
    let exists = this.stored(recordId) || this.looked.get(recordId);
    if (exists === undefined) {
      // lmdb-js keeps a read snapshot until a setTimeout(0) fires: a record another handle or
      // process committed since would not be seen, and its pairs would be skipped as unknown.
      if (this.looked.size === 0) this.records.resetReadTxn();
      this.looked.set(recordId, (exists = this.records.doesExist(recordId)));
    }
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
