// The one interface between the queue and wherever provenance is stored.
import type { ProvenancePair } from './schemas.js';

/**
 * Where provenance goes. Pairs handed to a sink by the queue always carry `entry.entryId`:
 * a sink must treat a second write of the same (recordId, entryId) as a no-op, and should
 * order a record's history by entryId (ids sort in enqueue order).
 */
export interface ProvenanceSink {
  appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> | void;
  /** Durable when it returns; used at process exit, where nothing async can run. */
  appendProvenanceBatchSync?(pairs: ProvenancePair[]): void;
}
