// A memory store on Postgres, for several processes on several hosts sharing one database:
// the same surface and guarantees as LmdbMemoryStore. Provenance rows are keyed
// (record_id, entry_id), so a pair is stored once whoever writes it, however often it is
// replayed; each process keeps its own local spill dir (and journal beside it). There is no
// synchronous database write: at exit, what is left goes to the spill dir, and the next
// queue on it applies it.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { raiseEntryIdFloor } from '../entry-id.js';
import { ProvenanceQueueError, StoreClosedError, StoreOpenError, StoreUnavailableError } from '../errors.js';
import { deadlineOf, settlesBefore, parseStopOptions } from '../queue/deadline.js';
import { errorFields, jsonLogger, neverThrowing, type Logger } from '../log.js';
import type { ProvenanceWriteQueue } from '../queue/provenance-write-queue.js';
import {
  postgresStoreOpenOptionsSchema,
  recallQuerySchema,
  recordInputSchema,
  type PostgresStoreOpenOptions,
  type ProvenancePair,
  type RecallQuery,
  type RecordInput,
  type StopOptions,
  type StoredProvenanceEntry,
} from '../schemas.js';
import type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from '../sink.js';
import { checkPairs, parseOptions, parseRecordIdArgument } from '../validate.js';
import { BatchEntryIds } from './batch-entry-ids.js';
import type { DefaultExtras, HistoryCount, MemoryRecord, RecallHit, StoreStats } from './memory-record.js';
import { HostMark, hostKey } from './postgres/host-mark.js';
import { newestLocalEntryMs } from './postgres/local-entry-ids.js';
import { mayHaveCommitted, OutcomeUnknown, writeUntilAnswered } from './postgres/unconfirmed-write.js';
import { FreshReads, type Queryable } from './postgres/fresh-reads.js';
import { appendRows, countRows, historyCounts } from './postgres/provenance-rows.js';
import { rankByEmbedding, rankByText, recordColumns, type RecordRow } from './postgres/recall-sql.js';
import { ensureTables, readHostMark, tablesOf, type StoreTables } from './postgres/tables.js';
import { QueueToggle, type StoreQueueOptions } from './queue-toggle.js';
import { recallPairs, recordRecall } from './recall-provenance.js';
import { unitVector } from './similarity.js';
import { journalDirBeside } from '../journal/journal-dir.js';

/** Sink calls a store's queue keeps in flight: rows are keyed, so order and identity hold. */
const POSTGRES_CONCURRENT_WRITES = 4;
/** No statement of the store takes long; one unanswered this long has lost its server. */
const QUERY_TIMEOUT_MS = 30_000;

export class PostgresMemoryStore<Extra extends object = DefaultExtras> implements ProvenanceSink {
  /** This host's spill dir (its journal is `<spillDir>-journal`). */
  readonly spillDir: string;
  /** The database and schema, password hidden: for messages and `provq`. */
  readonly location: string;
  /** `postgres:<uuid>`, kept in the database: a spill dir is never applied to another store. */
  readonly sinkId: string;
  readonly maxConcurrentWrites = POSTGRES_CONCURRENT_WRITES;
  private readonly toggle: QueueToggle;
  private closed = false;
  private closing: Promise<void> | null = null;
  private unknownRecordPairs = 0;
  private duplicatePairs = 0;
  private readonly appending = new Set<Promise<unknown>>();
  /** Every connection of the pool, so a close past its deadline can cut the ones a hung statement holds. */
  private readonly connections = new Set<pg.Client>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly reads: FreshReads,
    private readonly t: StoreTables,
    private readonly mark: HostMark,
    storeId: string,
    spillDir: string,
    location: string,
    private readonly logger: Logger,
  ) {
    this.spillDir = spillDir;
    this.location = location;
    this.sinkId = `postgres:${storeId}`;
    // Looked up at write time, so a wrapped or replaced store method is honoured.
    const sink: ProvenanceSink = {
      appendProvenanceBatch: (p, c) => this.appendProvenanceBatch(p, c),
      maxConcurrentWrites: this.maxConcurrentWrites,
      sinkId: this.sinkId,
    };
    this.toggle = new QueueToggle(sink, () => ({ logger: this.logger, spillDir: this.spillDir }));
    pool.on('connect', (c) => this.connections.add(c));
    pool.on('remove', (c) => this.connections.delete(c));
  }

  /** Connects (a pool of `maxConnections`), creates the tables if missing, floors entry ids at this host's mark. */
  static async open<Extra extends object = DefaultExtras>(opts: PostgresStoreOpenOptions): Promise<PostgresMemoryStore<Extra>> {
    const o = parseOptions(postgresStoreOpenOptionsSchema, opts, 'PostgresMemoryStore.open options', "{ connectionString: 'postgres://…', spillDir: './spill' }");
    const logger = neverThrowing(o.logger ?? jsonLogger());
    const location = `${redactedUrl(o.connectionString)} (schema ${o.schema})`;
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      max: o.maxConnections,
      connectionTimeoutMillis: 10_000,
      // A statement the server never answers (a dead peer) fails instead of hanging a recall or close().
      query_timeout: QUERY_TIMEOUT_MS,
      allowExitOnIdle: true, // like the queue's timers: the store never keeps a process alive
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process.
    pool.on('error', (err) => logger.warn({ ...errorFields(err), location }, 'an idle Postgres connection was lost; the pool reconnects'));
    const reads = new FreshReads(pool, (call, err) =>
      logger.warn({ ...errorFields(err), location, call }, 'a read met a connection the server had ended (restart, failover); reading once more on a new connection'),
    );
    const t = tablesOf(o.schema);
    const host = hostKey(o.spillDir);
    try {
      const storeId = await ensureTables(pool, t);
      // A read: on a connection the server had ended (ensureTables' one, idle in the pool), read once more.
      const mark = await reads.read('open', (db) => readHostMark(db, t, host));
      const floor = Math.max(mark, await newestLocalEntryMs([o.spillDir, journalDirBeside(o.spillDir)]));
      raiseEntryIdFloor(floor);
      return new PostgresMemoryStore<Extra>(pool, reads, t, new HostMark(host, floor), storeId, o.spillDir, location, logger);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new StoreOpenError(
        `cannot open the Postgres store at ${location}: ${(err as Error).message}; check that the server is up and the URL, user and password are right`,
        { cause: err },
      );
    }
  }

  /** The running queue, or null while writes take the synchronous path. */
  get provenanceQueue(): ProvenanceWriteQueue | null {
    return this.toggle.current;
  }

  /** Adds (or replaces) a record; returns its id (`rec.id`, or a new UUID). Durable when it resolves. */
  async insert(rec: RecordInput): Promise<string> {
    this.assertOpen('insert');
    const input = parseOptions(recordInputSchema, rec, 'record');
    const id = input.id ?? randomUUID();
    // Without an id of the caller's, a second call makes a second record (a new UUID) if the
    // first committed before its answer was lost: say so, never "safe". The server's own
    // ERROR rolled the statement back: nothing was stored, whatever the id.
    const again = (err: unknown) =>
      !mayHaveCommitted(err)
        ? 'nothing was stored: the server refused the statement and rolled it back; calling it again is safe'
        : input.id !== undefined
          ? 'not confirmed; calling it again with the same id is safe: the record is replaced, never doubled'
          : 'not confirmed: it may have been stored before the connection failed, and calling it again without an id may store a second copy under a new id (give the record an id to make a retry safe)';
    await this.sql('insert', again, () =>
      this.pool.query(
        `INSERT INTO ${this.t.records} (id, text, embedding, tags, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, embedding = EXCLUDED.embedding, tags = EXCLUDED.tags, created_at = EXCLUDED.created_at`,
        [id, input.text, input.embedding ?? null, input.tags ?? null, new Date().toISOString()],
      ),
    );
    return id;
  }

  /** The record with its provenance, oldest first, or undefined. Throws InvalidArgumentError for an id that cannot exist. */
  async get(id: string): Promise<MemoryRecord<Extra> | undefined> {
    this.assertOpen('get');
    parseRecordIdArgument(id, 'get(id)');
    const { rows } = await this.read('get', (db) =>
      db.query<RecordRow>(`SELECT ${recordColumns(this.t)} FROM ${this.t.records} r WHERE r.id = $1`, [id]),
    );
    return rows[0] && toRecord<Extra>(rows[0]);
  }

  /** Ranks in SQL (cosine on the embedding, else text match), returns the top k, records one entry per hit. */
  async recall(q: RecallQuery): Promise<RecallHit<Extra>[]> {
    this.assertOpen('recall');
    const query = parseOptions(recallQuerySchema, q, 'recall query', "{ cue: 'what did I say', sessionId: 's1' }");
    const unit = unitVector(query.embedding);
    const rows = await this.read('recall', (db) =>
      unit ? rankByEmbedding(db, this.t, unit, query.k) : rankByText(db, this.t, query.cue, query.k),
    );
    const hits = rows.map((row) => ({ id: row.id, score: row.score, record: toRecord<Extra>(row) }));
    await recordRecall(this.toggle, recallPairs(hits, query), (pairs) => this.appendProvenanceBatch(pairs));
    return hits;
  }

  /**
   * Appends pairs in one statement; resolves once it committed. Pairs for records the store
   * does not have are skipped, counted, and reported; pairs already stored are counted.
   */
  async appendProvenanceBatch(pairs: ProvenancePair[], context?: SinkWriteContext): Promise<SinkWriteResult> {
    this.assertOpen('appendProvenanceBatch');
    const valid = context?.validated ? pairs : checkPairs(pairs);
    if (valid.length === 0) return {};
    const append = this.writeBatch(valid);
    this.appending.add(append);
    try {
      return await append;
    } finally {
      this.appending.delete(append);
    }
  }

  /** Starts a queue writing through this store (spill dir `spillDir`, journal `<spillDir>-journal`). Idempotent. */
  enableProvenanceQueue(opts?: StoreQueueOptions): ProvenanceWriteQueue {
    this.assertOpen('enableProvenanceQueue', true); // close() would leave a queue started now running
    return this.toggle.enable(opts);
  }

  /** Drains the queue, stops it and goes back to synchronous writes; bounded (default 10 s). Idempotent. */
  disableProvenanceQueue(opts?: StopOptions): Promise<void> {
    return this.toggle.disable(opts);
  }

  /** Counts for `provq stats`. */
  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    const counts = await this.read('stats', (db) => countRows(db, this.t));
    return { ...counts, unknownRecordPairs: this.unknownRecordPairs, duplicatePairs: this.duplicatePairs };
  }

  /** Every record id with its number of provenance entries, for `provq stats`. */
  async historyCounts(): Promise<HistoryCount[]> {
    this.assertOpen('historyCounts');
    return this.read('historyCounts', (db) => historyCounts(db, this.t));
  }

  /** Disables the queue (drains, bounded) and closes the pool. Once: a second call gets the first's promise. */
  close(opts?: StopOptions): Promise<void> {
    parseStopOptions(opts, 'close'); // a bad argument throws before anything is closed
    this.closing ??= this.closeOnce(opts);
    return this.closing;
  }

  /** `await using store = await PostgresMemoryStore.open(...)`: close() with its default deadline. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * One deadline for all of it. A statement the server does not answer (a hung or stopped
   * server, a dead peer) would hold close() until QUERY_TIMEOUT_MS: at the deadline its
   * connection is cut instead. Its pairs are saved already (the queue's stop deadline spilled
   * them, and a direct caller's promise rejects, not confirmed); a statement the server did
   * commit is not written twice when the spill file is read back.
   */
  private async closeOnce(opts: StopOptions = {}): Promise<void> {
    const whole = new AbortController();
    const deadline = deadlineOf(opts);
    void deadline.reached.then(() => whole.abort());
    try {
      await this.toggle.disable({ ...opts, signal: whole.signal });
      this.closed = true;
      const ended = Promise.allSettled(this.appending).then(() => this.pool.end());
      if (!(await settlesBefore(ended, deadline))) {
        this.logger.warn(
          { location: this.location, statementsUnderWay: this.appending.size, connections: this.connections.size },
          'close deadline reached with Postgres statements unanswered; cutting their connections (their pairs are saved in the spill dir or reported not confirmed)',
        );
        // client.end() destroys the socket of a connection with a statement under way (pg's own rule).
        for (const c of this.connections) void c.end().catch(() => undefined);
        // Never an unhandled rejection: this may settle after close() has resolved.
        void ended.catch((err: unknown) => this.logger.error({ location: this.location, ...errorFields(err) }, 'closing the Postgres pool failed'));
        return;
      }
      await ended;
    } finally {
      deadline.cancel();
    }
  }

  private async writeBatch(pairs: ProvenancePair[]): Promise<SinkWriteResult> {
    const ids = new BatchEntryIds(pairs);
    const recordIds = new Array<string>(pairs.length);
    const entryIds = new Array<string>(pairs.length);
    const entries = new Array<ProvenancePair[1]>(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const [recordId, entry] = pairs[i]!;
      const entryId = ids.idAt(i);
      recordIds[i] = recordId;
      entryIds[i] = entryId;
      entries[i] = entry.entryId === undefined ? { ...entry, entryId } : entry;
    }
    const mark = this.mark.needed(entryIds);
    const rows = { recordIds, entryIds, entries: JSON.stringify(entries) };
    const write = () => appendRows(this.pool, this.t, rows, mark);
    const out = await this.sql('appendProvenanceBatch', null, () => writeUntilAnswered(write, ids.assigned, () => this.closed));
    if (mark) this.mark.committedAt(mark.ms);
    this.unknownRecordPairs += out.unknown.length;
    this.duplicatePairs += out.duplicates;
    return out.unknown.length > 0 ? { unknownRecords: out.unknown.map((i) => pairs[i]!), duplicates: out.duplicates } : { duplicates: out.duplicates };
  }

  /** A read: once more on a new connection when its connection had ended (fresh-reads.ts); then as sql(). Never a write. */
  private read<T>(what: string, run: (db: Queryable) => Promise<T>): Promise<T> {
    return this.sql(what, 'a read: nothing was changed; call it again', () => this.reads.read(what, run));
  }

  /** A database failure becomes a StoreUnavailableError naming the call and the store. */
  private async sql<T>(what: string, ifFailed: string | ((err: unknown) => string) | null, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ProvenanceQueueError) throw err;
      // Pairs given without an entryId got theirs here: if the write committed before its
      // answer was lost, a call again would store them twice.
      const again = err instanceof OutcomeUnknown
        ? 'not confirmed: it may have been stored before the connection failed, and calling it again with pairs that have no entryId may store them twice (pairs that carry their entryId, as the queue\'s do, are never stored twice)'
        : ((typeof ifFailed === 'function' ? ifFailed(err) : ifFailed) ?? 'not confirmed; retrying is safe: a pair is never stored twice');
      const cause = err instanceof OutcomeUnknown ? err.failure : err;
      throw new StoreUnavailableError(`${what} failed on the Postgres store at ${this.location}: ${(cause as Error).message} (${again})`, { cause });
    }
  }

  /** Throws StoreClosedError once closed (`orClosing`: once close() has begun). */
  private assertOpen(what: string, orClosing = false): void {
    if (this.closed || (orClosing && this.closing)) {
      throw new StoreClosedError(`${what}: the Postgres store at ${this.location} is ${this.closed ? 'closed' : 'closing'}; open it again with PostgresMemoryStore.open`);
    }
  }
}

/** A row as a record; its entries are typed with the extras the store was opened with (the caller's declaration). */
function toRecord<Extra extends object>(row: RecordRow): MemoryRecord<Extra> {
  const provenance = row.provenance as StoredProvenanceEntry<Extra>[];
  const rec: MemoryRecord<Extra> = { id: row.id, text: row.text, createdAt: row.created_at, provenance };
  if (row.embedding) rec.embedding = row.embedding;
  if (row.tags) rec.tags = row.tags;
  return rec;
}

/** The URL without its password, for messages and logs. */
function redactedUrl(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given connectionString (not a URL)';
  }
}
