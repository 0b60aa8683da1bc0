// The public API of provenance-queue (see ../shared/contract.md).
export { LmdbMemoryStore } from './store/lmdb-memory-store.js';
export { PostgresMemoryStore } from './store/postgres-memory-store.js';
export type { MemoryRecord, RecallHit, StoreStats } from './store/memory-record.js';
export { ProvenanceWriteQueue } from './queue/provenance-write-queue.js';
export type { QueueStats } from './queue/provenance-write-queue.js';
export type { ProvenanceSink } from './sink.js';
export type {
  ProvenanceEntry,
  ProvenancePair,
  QueueOptions,
  RecallQuery,
  RecordInput,
  SpillLine,
  StoreOpenOptions,
  PostgresStoreOpenOptions,
} from './schemas.js';
export {
  provenanceEntrySchema,
  provenancePairSchema,
  queueOptionsSchema,
  recallQuerySchema,
  recordInputSchema,
  spillLineSchema,
  storeOpenOptionsSchema,
  postgresStoreOpenOptionsSchema,
} from './schemas.js';
export {
  CommandError,
  InvalidArgumentError,
  InvalidOptionsError,
  InvalidPairError,
  ProvenanceQueueError,
  QueueEnabledError,
  QueueNotRunningError,
  SinkTimeoutError,
  SpillDirError,
  SpillDirOwnedError,
  StoreClosedError,
  StoreOpenError,
  StoreUnavailableError,
  UsageError,
} from './errors.js';
export type { ProvenanceErrorCode } from './errors.js';
export { jsonLogger, silentLogger } from './log.js';
export type { Logger, LogFields } from './log.js';
