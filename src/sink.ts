// The one interface between the queue and wherever provenance is stored.
import type { ProvenancePair } from './schemas.js';

/** What the queue tells a sink about a batch: facts are arguments, never hidden marks. */
export interface SinkWriteContext {
  /** The pairs were read back from a spill or journal file: some may be stored already. */
  readonly replayed: boolean;
  /** The queue validated every pair (at enqueue, or reading a file): the sink may skip checking. */
  readonly validated: boolean;
  /**
   * Some pairs came with an entryId of their own (an entry read back from a store): it may be
   * stored already, and a stored entry is never replaced. Without a context a sink must assume so.
   */
  readonly inputIds?: boolean;
}

/** What a sink may report back about a batch it wrote. */
export interface SinkWriteResult {
  /** Pairs not written because the sink has no such record. Read back from a file, the queue sets them aside. */
  unknownRecords?: ProvenancePair[];
  /** Pairs found already stored under their entryId: a no-op, counted. */
  duplicates?: number;
}

/**
 * Where provenance goes. Pairs handed to a sink by the queue always carry `entry.entryId`:
 * a sink must treat a second write of the same (recordId, entryId) as a no-op, and should
 * order a record's history by entryId (ids sort in enqueue order).
 */
export interface ProvenanceSink {
  /** Durable when it resolves. */
  appendProvenanceBatch(
    pairs: ProvenancePair[],
    context?: SinkWriteContext,
  ): Promise<SinkWriteResult | void> | SinkWriteResult | void;
  /** Durable when it returns; used at process exit, where nothing async can run. */
  appendProvenanceBatchSync?(pairs: ProvenancePair[], context?: SinkWriteContext): SinkWriteResult | void;
  /** Sink calls the queue may keep in flight at once (default 1). */
  readonly maxConcurrentWrites?: number;
  /**
   * A stable name for where the pairs go (a store's id). A spill or journal directory
   * remembers the sink it belongs to and is refused to any other. Default: `anonymous`.
   */
  readonly sinkId?: string;
}

/** The context of a fresh batch the queue validated at enqueue. */
export const FRESH_VALIDATED: SinkWriteContext = Object.freeze({ replayed: false, validated: true });
/** A fresh batch, some of whose pairs carried their own entryId into enqueue. */
export const FRESH_WITH_INPUT_IDS: SinkWriteContext = Object.freeze({ replayed: false, validated: true, inputIds: true });
/** The context of a batch read back from a spill or journal file (validated as it was read). */
export const REPLAYED_VALIDATED: SinkWriteContext = Object.freeze({ replayed: true, validated: true });
