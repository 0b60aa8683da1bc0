// The public API of provenance-queue (see ../shared/contract.md).
export { LmdbMemoryStore } from './store/lmdb-memory-store.js';
export { PostgresMemoryStore } from './store/postgres-memory-store.js';
export type { DefaultExtras, HistoryCount, MemoryRecord, RecallHit, StoreStats } from './store/memory-record.js';
export type { StoreQueueOptions } from './store/queue-toggle.js';
export { ProvenanceWriteQueue } from './queue/provenance-write-queue.js';
export type { DirectQueueOptions, QueueStats } from './queue/provenance-write-queue.js';
export type { QueueEvents, QuarantinedEvent, QueuePart, SpilledEvent, WorkerFailedEvent, WriteErrorEvent } from './queue/events.js';
export type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from './sink.js';
export type {
  FlushOptions,
  ProvenanceEntry,
  ProvenancePair,
  QueueOptions,
  RecallProvenance,
  RecallQuery,
  RecordInput,
  SpillLine,
  StopOptions,
  StoredProvenanceEntry,
  StoreOpenOptions,
  PostgresStoreOpenOptions,
} from './schemas.js';
export {
  CommandError,
  InvalidArgumentError,
  InvalidOptionsError,
  InvalidPairError,
  ProvenanceQueueError,
  QueueEnabledError,
  QueueNotRunningError,
  SinkResultError,
  SinkTimeoutError,
  SpillDirError,
  SpillDirOwnedError,
  SpillFileChangedError,
  SpillFileExistsError,
  StoreClosedError,
  StoreOpenError,
  StoreUnavailableError,
  UsageError,
  WorkerFailedError,
} from './errors.js';
export type { ProvenanceErrorCode } from './errors.js';
export { jsonLogger, silentLogger } from './log.js';
export type { Logger, LogFields } from './log.js';
