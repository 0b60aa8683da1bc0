// What a store directory holds, named once: LMDB's file and the queue's two directories.

export const STORE_FILE = 'store.mdb';
/** Overflow and failed writes (created on the first spill only). */
export const SPILL_DIR_NAME = 'provenance-overflow';
/** The queue's journal segments (durability 'journal'). */
export const JOURNAL_DIR_NAME = 'provenance-journal';
