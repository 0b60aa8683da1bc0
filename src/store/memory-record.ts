// The shapes every memory store returns (LMDB and Postgres alike): records, recall hits, counts.
import type { RecallProvenance, StoredProvenanceEntry } from '../schemas.js';

/**
 * The extras a store's entries are typed with by default: those `recall()` writes, each
 * possibly absent (an entry appended by hand may not have them). Open a store as
 * `LmdbMemoryStore.open<RecallProvenance>(…)` when every entry comes from `recall()`, or
 * with your own extras type when you append entries that carry more.
 */
export type DefaultExtras = Partial<RecallProvenance>;

/** A memory record with its provenance history. */
export interface MemoryRecord<Extra extends object = DefaultExtras> {
  /** The record's id (1 to 256 characters). */
  id: string;
  /** The memory's text. */
  text: string;
  /** The vector given at insert, if any. */
  embedding?: number[];
  /** The labels given at insert, if any. */
  tags?: string[];
  /** When the record was inserted (ISO-8601). */
  createdAt: string;
  /** Every provenance entry of the record, oldest first (enqueue order). On a recall hit it is read when first accessed. */
  provenance: StoredProvenanceEntry<Extra>[];
}

/** One result of `recall()`. */
export interface RecallHit<Extra extends object = DefaultExtras> {
  /** The record's id. */
  id: string;
  /** Cosine similarity to the query's embedding, or text overlap without one; higher is closer. */
  score: number;
  /** The record; its `provenance` is read when first accessed. */
  record: MemoryRecord<Extra>;
}

/** Counts for `provq stats`. */
export interface StoreStats {
  /** Records stored. */
  records: number;
  /** Provenance entries stored, over all records. */
  entries: number;
  /** Pairs skipped since open because their record does not exist. */
  unknownRecordPairs: number;
  /** Pairs found already stored since open (written once, not twice). */
  duplicatePairs: number;
}

/** One record's history length, from `historyCounts()`. */
export interface HistoryCount {
  /** The record's id. */
  id: string;
  /** Its provenance entries. */
  entries: number;
}
