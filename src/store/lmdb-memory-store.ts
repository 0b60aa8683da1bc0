// The embedded default sink: records and their provenance in one LMDB environment.
// Provenance lives under the key [recordId, entryId], so an append costs the same whatever
// the record's history, a replayed pair lands on its own key (exactly once), and a range
// read returns the history in enqueue order whatever order the writes arrived in.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { ProvenanceQueueError, StoreClosedError, StoreOpenError, StoreUnavailableError } from '../errors.js';
import { errorFields, jsonLogger, neverThrowing, type Logger } from '../log.js';
import type { ProvenanceWriteQueue } from '../queue/provenance-write-queue.js';
import { guardLmdbCommits, quietCommitError } from './lmdb-commit-guard.js';
import { deadlineOf, settlesBefore, parseStopOptions } from '../queue/deadline.js';
import type { ProvenanceKey } from './entry-keys.js';
import { IdHighWater } from './id-high-water.js';
import { ensureStoreDir, tightenStoreFiles } from './store-dir.js';
import { openStoreEnv } from './lmdb-env.js';
import { warnIfLmdbUnfixed } from './lmdb-fix-check.js';
import { QueueToggle, type StoreQueueOptions } from './queue-toggle.js';
import {
  recallQuerySchema,
  recordInputSchema,
  storeOpenOptionsSchema,
  type StoredProvenanceEntry,
  type ProvenancePair,
  type RecallQuery,
  type StopOptions,
  type RecordInput,
  type StoreOpenOptions,
} from '../schemas.js';
import type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from '../sink.js';
import { checkPairs, parseOptions, parseRecordIdArgument } from '../validate.js';
import type { DefaultExtras, HistoryCount, MemoryRecord, RecallHit, StoreStats } from './memory-record.js';
import { EntryValueEncoder } from './entry-value.js';
import { mayBeStored, putPairs, putPairsSync, type ProvenanceTarget, type WriteOutcome } from './provenance-writes.js';
import { recallPairs, recordRecall } from './recall-provenance.js';
import { RecallIndex } from './similarity.js';
import { JOURNAL_DIR_NAME, SPILL_DIR_NAME, STORE_FILE } from './store-layout.js';

export type { HistoryCount, MemoryRecord, RecallHit, StoreStats } from './memory-record.js';

type StoredRecord = Omit<MemoryRecord, 'provenance'>;
const KEY_END = Buffer.from([0xff]); // sorts after every entryId of a record

/**
 * Sink calls a store's queue keeps in flight: lmdb-js folds puts issued while a commit runs
 * into the next transaction, and order and identity live in the [recordId, entryId] keys.
 * Fewer, larger commits are most of the speed (each rewrites the pages of every record it
 * touches; docs/performance.md, rows 2 and 5). Fresh calls stay at 64 (FRESH_CALLS_MAX:
 * their pairs may be only in memory); read-back, durable in its files, keeps all 256.
 */
const LMDB_CONCURRENT_WRITES = 256;

/** A store's stable identity (kept in LMDB), so its spill dir is never applied to another store. */
function storeIdOf(meta: Database<unknown, string>): string {
  const stored = meta.get('storeId');
  if (typeof stored === 'string') return stored;
  const id = randomUUID();
  meta.putSync('storeId', id);
  return id;
}

/** Opens tried before StoreOpenError reaches the caller (see open). */
const OPEN_ATTEMPTS = 3;
/** The wait before the second try; the third waits twice as long. */
const OPEN_RETRY_MS = 100;

/**
 * The embedded memory store: records and their provenance in one LMDB environment. It is
 * also a {@link ProvenanceSink}, so a queue can write into it. `Extra` types the extras of
 * its provenance entries (see {@link DefaultExtras}).
 *
 * ```ts
 * await using store = await LmdbMemoryStore.open({ path: './memories' });
 * store.enableProvenanceQueue(); // recall() no longer waits for provenance writes
 * const hits = await store.recall({ cue: 'tea', sessionId: 's1' });
 * ```
 */
export class LmdbMemoryStore<Extra extends object = DefaultExtras> implements ProvenanceSink {
  /** The store directory (created 0700 if missing). */
  readonly path: string;
  /** This store's identity as a sink: `lmdb:<uuid>`, kept in the store. */
  readonly sinkId: string;
  /**
   * Sink calls a queue may keep in flight (256): also for a queue built directly on the store
   * (`new ProvenanceWriteQueue(store, ...)`), which would otherwise get a custom sink's 1.
   */
  readonly maxConcurrentWrites = LMDB_CONCURRENT_WRITES;
  private readonly toggle: QueueToggle;
  private closed = false;
  private closing: Promise<void> | null = null;
  private unknownRecordPairs = 0;
  private duplicatePairs = 0;
  private readonly index = new RecallIndex();
  private readonly target: ProvenanceTarget;
  private readonly appending = new Set<Promise<unknown>>();
  /** Installed by the constructor's last line: a store that failed to open leaves no guard behind. */
  private readonly releaseCommitGuard: () => void;
  private readonly idHighWater: IdHighWater;
  /** A record in the recall index is in LMDB (indexed once its put resolved; never deleted): no read per pair. */
  private readonly recordStored = (id: string): boolean => this.index.has(id);

  private constructor(
    path: string,
    private readonly env: RootDatabase,
    private readonly records: Database<StoredRecord, string>,
    private readonly provenance: Database<StoredProvenanceEntry, ProvenanceKey>,
    private readonly logger: Logger,
  ) {
    this.path = path;
    this.target = { env, records, provenance, recordStored: this.recordStored, values: new EntryValueEncoder() };
    const meta = env.openDB<unknown, string>({ name: 'meta' });
    this.sinkId = `lmdb:${storeIdOf(meta)}`;
    this.idHighWater = IdHighWater.open(env, meta, logger);
    // Looked up at write time, so a wrapped or replaced store method is honoured.
    const sink: ProvenanceSink = {
      appendProvenanceBatch: (p, c) => this.appendProvenanceBatch(p, c),
      appendProvenanceBatchSync: (p, c) => this.appendProvenanceBatchSync(p, c),
      maxConcurrentWrites: this.maxConcurrentWrites,
      sinkId: this.sinkId,
    };
    this.toggle = new QueueToggle(sink, () => ({
      logger: this.logger,
      spillDir: join(this.path, SPILL_DIR_NAME),
      journalDir: join(this.path, JOURNAL_DIR_NAME),
    }));
    for (const { value } of records.getRange()) this.index.upsert(value.id, value.text, value.embedding);
    this.releaseCommitGuard = guardLmdbCommits();
  }

  /**
   * Opens (or creates) the store in the directory `path`. Throws InvalidOptionsError for bad
   * options and StoreOpenError when the directory cannot be created or opened (the message says why).
   */
  static async open<Extra extends object = DefaultExtras>(opts: StoreOpenOptions): Promise<LmdbMemoryStore<Extra>> {
    const { path, logger } = parseOptions(storeOpenOptionsSchema, opts, 'LmdbMemoryStore.open options', "{ path: './memories' }");
    const log = neverThrowing(logger ?? jsonLogger());
    await ensureStoreDir(path);
    warnIfLmdbUnfixed(log, path);
    for (let attempt = 1; ; attempt++) {
      try {
        return await LmdbMemoryStore.openOnce<Extra>(path, log);
      } catch (err) {
        if (!(err instanceof StoreOpenError) || attempt >= OPEN_ATTEMPTS) throw err;
        // Several processes opening one store at once: lmdb-js 3.5 now and then fails one of
        // them (EINVAL "No current read transaction available" in open, MDB_BAD_TXN in the
        // first write transaction; about 1 open in 200, three processes starting together).
        // Nothing was written: the environment is closed and opened again.
        log.warn({ path, attempt, ...errorFields(err) }, 'LMDB store did not open; trying again');
        await new Promise((r) => setTimeout(r, OPEN_RETRY_MS * attempt));
      }
    }
  }

  private static async openOnce<Extra extends object>(path: string, log: Logger): Promise<LmdbMemoryStore<Extra>> {
    const env = openStoreEnv(path);
    try {
      await tightenStoreFiles(path, STORE_FILE);
      const records = env.openDB<StoredRecord, string>({ name: 'records' });
      const provenance = env.openDB<StoredProvenanceEntry, ProvenanceKey>({ name: 'provenance' });
      return new LmdbMemoryStore<Extra>(path, env, records, provenance, log);
    } catch (err) {
      // Its first writes (the store id, the entry-id high-water mark) failed: a full or
      // failing disk, say. The caller gets one typed error, never lmdb's raw one (which the
      // commit guard of another open store would take for a failed batch and swallow).
      await env.close().catch(() => {});
      if (err instanceof ProvenanceQueueError) throw err;
      throw new StoreOpenError(`cannot open the LMDB store in ${path}: ${(err as Error).message}; check that disk (free space, errors) and open it again`, { cause: err });
    }
  }

  /** The running queue, or null while writes take the synchronous path. */
  get provenanceQueue(): ProvenanceWriteQueue | null {
    return this.toggle.current;
  }

  /**
   * Adds (or replaces) a record; returns its id (`rec.id`, or a new UUID). Durable when it
   * resolves; rejects with StoreUnavailableError when LMDB cannot commit it (a full or failing disk).
   */
  async insert(rec: RecordInput): Promise<string> {
    this.assertOpen('insert');
    const input = parseOptions(recordInputSchema, rec, 'record', "{ text: 'a memory' }");
    const id = input.id ?? randomUUID();
    const stored: StoredRecord = { id, text: input.text, createdAt: new Date().toISOString() };
    if (input.embedding) stored.embedding = input.embedding;
    if (input.tags) stored.tags = input.tags;
    try {
      await this.records.put(id, stored);
    } catch (err) {
      // Typed, so an app that forgot to await insert() gets Node's own unhandled-rejection
      // rule: lmdb's raw "Commit failed" error is one the commit guard swallows.
      quietCommitError(err);
      throw new StoreUnavailableError(`insert: the LMDB store at ${this.path} could not commit the record: ${(err as Error).message}; check that disk (free space, errors) and insert it again`, {
        cause: err,
      });
    }
    this.index.upsert(id, input.text, input.embedding);
    return id;
  }

  /**
   * The record with its provenance, oldest first, or undefined when there is none. Throws
   * InvalidArgumentError for an id that cannot exist (empty, not a string, over 256 characters).
   */
  async get(id: string): Promise<MemoryRecord<Extra> | undefined> {
    this.assertOpen('get');
    const rec = this.records.get(parseRecordIdArgument(id, 'get(id)'));
    return rec && { ...rec, provenance: this.readProvenance(id) };
  }

  /**
   * The top `k` (default 5) records for `cue`: by cosine similarity to `embedding` when one is
   * given, by text overlap otherwise. Records one provenance entry per hit, `{ ts, cue,
   * sessionId, rank, score }`: through the queue when it is enabled (recall does not wait for
   * the write), else synchronously (recall resolves once the entries are durable).
   */
  async recall(q: RecallQuery): Promise<RecallHit<Extra>[]> {
    this.assertOpen('recall');
    const query = parseOptions(recallQuerySchema, q, 'recall query', "{ cue: 'what did I say', sessionId: 's1' }");
    const hits: RecallHit<Extra>[] = [];
    for (const { id, score } of this.index.topK(query.cue, query.embedding, query.k)) {
      const rec = this.records.get(id);
      if (rec) hits.push({ id, score, record: this.withLazyProvenance(rec) });
    }
    await recordRecall(this.toggle, recallPairs(hits, query), (pairs) => this.appendProvenanceBatch(pairs));
    return hits;
  }

  /**
   * Appends pairs durably: resolves once every pair is committed and flushed. Pairs for
   * records the store does not have are skipped, counted, and reported in the result. An
   * invalid pair throws InvalidPairError naming the field; nothing of the call is written.
   * Rejects with StoreUnavailableError when LMDB cannot commit them (a full or failing disk).
   */
  async appendProvenanceBatch(pairs: ProvenancePair[], context?: SinkWriteContext): Promise<SinkWriteResult | void> {
    this.assertOpen('appendProvenanceBatch');
    const valid = context?.validated ? pairs : checkPairs(pairs);
    const append = putPairs(this.target, valid, mayBeStored(valid, context)).then(
      (outcome) => this.counted(outcome),
      (err: unknown) => {
        throw this.uncommitted('appendProvenanceBatch', err);
      },
    );
    this.appending.add(append);
    try {
      return await append;
    } finally {
      this.appending.delete(append);
    }
  }

  /** {@link appendProvenanceBatch}, synchronously: durable when it returns (what the exit hook uses). */
  appendProvenanceBatchSync(pairs: ProvenancePair[], context?: SinkWriteContext): SinkWriteResult {
    this.assertOpen('appendProvenanceBatchSync');
    const valid = context?.validated ? pairs : checkPairs(pairs);
    let outcome: WriteOutcome;
    try {
      outcome = putPairsSync(this.target, valid);
    } catch (err) {
      throw this.uncommitted('appendProvenanceBatchSync', err);
    }
    return this.counted(outcome);
  }

  /**
   * LMDB's failure to commit pairs as a StoreUnavailableError naming the store: lmdb's raw
   * "Commit failed" error has no code, and the commit guard takes it for lmdb's own hidden
   * batch promise and swallows it, so an app that did not await the call would never hear.
   */
  private uncommitted(call: string, err: unknown): Error {
    if (err instanceof ProvenanceQueueError) return err;
    quietCommitError(err);
    return new StoreUnavailableError(
      `${call}: the LMDB store at ${this.path} could not commit the pairs: ${(err as Error).message}; the call is not confirmed (some of its pairs may be stored); check that disk (free space, errors) and call it again (a pair that carries its entryId is never stored twice)`,
      { cause: err },
    );
  }

  /**
   * Takes provenance writes off the recall path: starts a queue writing through this store
   * (spill dir `<path>/provenance-overflow`, journal `<path>/provenance-journal` by default).
   * Idempotent: called again without options, or with the same ones, it returns the running
   * queue; with different options it throws QueueEnabledError (disable first).
   */
  enableProvenanceQueue(opts?: StoreQueueOptions): ProvenanceWriteQueue {
    this.assertOpen('enableProvenanceQueue', true); // close() would leave a queue started now running
    return this.toggle.enable(opts);
  }

  /**
   * Drains the queue, stops it and goes back to synchronous writes. Bounded: by `timeoutMs`
   * (default 10 s) or `signal`, what is not yet durable is saved to the spill dir (or written
   * synchronously) and the call resolves. Idempotent.
   */
  disableProvenanceQueue(opts?: StopOptions): Promise<void> {
    return this.toggle.disable(opts);
  }

  /** Counts for `provq stats`. */
  stats(): StoreStats {
    this.assertOpen('stats');
    return {
      records: this.records.getCount(),
      entries: this.provenance.getCount(),
      unknownRecordPairs: this.unknownRecordPairs,
      duplicatePairs: this.duplicatePairs,
    };
  }

  /** Every record id with its number of provenance entries, for `provq stats`. */
  *historyCounts(): Generator<HistoryCount> {
    this.assertOpen('historyCounts');
    for (const id of this.records.getKeys()) {
      yield { id, entries: this.provenance.getCount({ start: [id], end: [id, KEY_END] as unknown as ProvenanceKey }) };
    }
  }

  /**
   * Disables the queue (drains, bounded as disableProvenanceQueue) and closes LMDB. A second
   * call, or a concurrent one, gets the first call's promise: LMDB closes once, after the drain.
   */
  close(opts?: StopOptions): Promise<void> {
    parseStopOptions(opts, 'close'); // a bad argument throws before anything is closed
    this.closing ??= this.closeOnce(opts);
    return this.closing;
  }

  /** `await using store = await LmdbMemoryStore.open(...)`: close() with its default deadline. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * One deadline for all of it. Puts still under way at the deadline (LMDB waiting for a write
   * lock another process holds, say) keep the environment open until they settle — closing
   * it under them is not safe — and close() resolves: the queue has saved their pairs, and
   * their callers' promises have not reported them durable.
   */
  private async closeOnce(opts: StopOptions = {}): Promise<void> {
    const whole = new AbortController();
    const deadline = deadlineOf(opts);
    void deadline.reached.then(() => whole.abort());
    try {
      await this.toggle.disable({ ...opts, signal: whole.signal });
      this.closed = true;
      const puts = Promise.allSettled(this.appending);
      if (!(await settlesBefore(puts, deadline))) {
        this.logger.warn({ path: this.path, putsUnderWay: this.appending.size }, 'close deadline reached with LMDB writes under way; the environment closes once they settle');
        // Never an unhandled rejection: this runs after close() has resolved.
        void puts
          .then(() => this.closeEnv())
          .catch((err: unknown) => this.logger.error({ path: this.path, ...errorFields(err) }, 'closing LMDB after the writes under way failed'));
        return;
      }
    } finally {
      deadline.cancel();
    }
    await this.closeEnv();
  }

  private async closeEnv(): Promise<void> {
    await this.idHighWater.close();
    await this.env.close();
    this.releaseCommitGuard();
  }

  /** Counts what a write skipped and found stored, and says it to the queue. */
  private counted({ unknown, duplicates }: WriteOutcome): SinkWriteResult {
    this.unknownRecordPairs += unknown.length;
    this.duplicatePairs += duplicates;
    return unknown.length > 0 ? { unknownRecords: unknown, duplicates } : { duplicates };
  }

  /** The stored entries; typed with the extras the store was opened with (the caller's declaration). */
  private readProvenance(id: string): StoredProvenanceEntry<Extra>[] {
    const out: StoredProvenanceEntry<Extra>[] = [];
    for (const { value } of this.provenance.getRange({ start: [id], end: [id, KEY_END] as unknown as ProvenanceKey })) {
      out.push(value as StoredProvenanceEntry<Extra>);
    }
    return out;
  }

  private withLazyProvenance(rec: StoredRecord): MemoryRecord<Extra> {
    let cached: StoredProvenanceEntry<Extra>[] | undefined;
    const read = () => (cached ??= this.readProvenance(rec.id));
    return Object.defineProperty({ ...rec } as MemoryRecord<Extra>, 'provenance', {
      enumerable: true,
      get: read,
    });
  }

  /** Throws StoreClosedError once closed (`orClosing`: once close() has begun). */
  private assertOpen(what: string, orClosing = false): void {
    if (this.closed || (orClosing && this.closing)) {
      throw new StoreClosedError(`${what}: the store at ${this.path} is ${this.closed ? 'closed' : 'closing'}; open it again with LmdbMemoryStore.open`);
    }
  }
}
