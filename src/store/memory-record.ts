// The shapes every memory store returns (LMDB and Postgres alike).
import type { ProvenanceEntry } from '../schemas.js';

export interface MemoryRecord {
  id: string;
  text: string;
  embedding?: number[];
  tags?: string[];
  createdAt: string;
  /** Oldest first. */
  provenance: ProvenanceEntry[];
}
export interface RecallHit {
  id: string;
  score: number;
  record: MemoryRecord;
}
export interface StoreStats {
  records: number;
  entries: number;
  /** Pairs skipped since open because their record does not exist. */
  unknownRecordPairs: number;
  /** Pairs found already stored since open (written once, not twice). */
  duplicatePairs: number;
}
