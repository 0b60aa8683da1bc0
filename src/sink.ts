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

const checked = new WeakSet<readonly ProvenancePair[]>();
const replayed = new WeakSet<readonly ProvenancePair[]>();

/**
 * Marks a batch the queue built from pairs it validated itself (at enqueue, or reading a
 * spill file): a sink that validates its input may skip doing it again. @internal
 */
export function markChecked<T extends readonly ProvenancePair[]>(pairs: T): T {
  checked.add(pairs);
  return pairs;
}

export function isChecked(pairs: readonly ProvenancePair[]): boolean {
  return checked.has(pairs);
}

/**
 * Marks a batch read back from a spill file: some of its pairs may be stored already (a
 * crash between the write and the delete). A sink may check for those and count them;
 * pairs of other batches are new, so it need not look. @internal
 */
export function markReplayed<T extends readonly ProvenancePair[]>(pairs: T): T {
  replayed.add(pairs);
  return pairs;
}

export function isReplayed(pairs: readonly ProvenancePair[]): boolean {
  return replayed.has(pairs);
}
