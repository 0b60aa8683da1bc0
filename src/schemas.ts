// Every shape that crosses a boundary (caller → queue, disk → queue, argv → CLI) lives
// here as a zod schema; the TypeScript types are inferred from these, never written twice.
import { z } from 'zod';
import { ENTRY_ID_FORMAT } from './entry-id.js';
import { findJsonFault, isWellFormed, loneSurrogate, PROTO_KEY_REFUSED } from './json-data.js';

export const MAX_RECORD_ID_LENGTH = 256;
/** The longest spill or journal line the reader takes, and the most bytes any file the queue writes holds. */
export const MAX_SPILL_LINE_BYTES = 64 * 1024 * 1024;
/** With a 256-char recordId, keys stay within LMDB's 1,978-byte limit. */
export const MAX_ENTRY_ID_LENGTH = 300;

export const recordIdSchema = z
  .string({ error: 'recordId must be a string' })
  .min(1, 'recordId must not be empty')
  .max(MAX_RECORD_ID_LENGTH, `recordId must be at most ${MAX_RECORD_ID_LENGTH} characters`)
  // LMDB's ordered keys use NUL as the array delimiter.
  .refine((s) => !s.includes('\u0000'), 'recordId must not contain a NUL character')
  // LMDB keeps it as a key, but a record's id field would read back with U+FFFD (and recall lose the record).
  .refine(isWellFormed, loneSurrogate('recordId is a string'));

export const entryIdSchema = z
  .string({ error: 'entryId must be a string' })
  .min(1, 'entryId must not be empty')
  .max(MAX_ENTRY_ID_LENGTH, `entryId must be at most ${MAX_ENTRY_ID_LENGTH} characters`)
  .refine((s) => !s.includes('\u0000'), 'entryId must not contain a NUL character')
  // Ids are the library's: one a caller made up would sort anywhere and could replace a stored entry.
  .regex(
    ENTRY_ID_FORMAT,
    "entryId is assigned by the library; leave it out (an entry may only carry an entryId read back from a store or spill file, e.g. '1767225600000-…')",
  );

/** An entry's fields as zod reads them (for the field schemas; validate an entry with `provenanceEntrySchema`). */
export const provenanceEntryFieldsSchema = z
  .looseObject({
    /** When: an ISO-8601 date-time string with an offset, e.g. `2026-01-31T12:00:00.000Z`. */
    ts: z.iso.datetime({ offset: true, error: 'ts must be an ISO-8601 date-time string, e.g. 2026-01-31T12:00:00.000Z' }),
    /** What was being recalled. */
    cue: z.string({ error: 'cue must be a string' }),
    /** Who recalled it. */
    sessionId: z.string({ error: 'sessionId must be a string' }),
    /** The library's id, assigned when the pair is accepted; give one only as read back from a store. */
    entryId: entryIdSchema.optional(),
  })
  // Extra fields too: anything else fails in LMDB or a spill line, for ever (issue 9, item 3).
  .superRefine((entry, ctx) => {
    const fault = findJsonFault(entry);
    if (fault) ctx.addIssue({ code: 'custom', message: fault.reason, path: fault.path });
  });

/**
 * An entry. Its own `__proto__` key (JSON.parse makes one) is refused before zod reads it: a
 * loose object's output leaves that key out, so the entry was accepted with the field gone
 * (found by entry-values.test.ts's property run; a spill line's entry lost it the same way).
 */
export const provenanceEntrySchema = z.preprocess((entry, ctx) => {
  if (typeof entry === 'object' && entry !== null && Object.hasOwn(entry, '__proto__')) {
    ctx.addIssue({ code: 'custom', message: PROTO_KEY_REFUSED, path: ['__proto__'], input: entry });
  }
  return entry;
}, provenanceEntryFieldsSchema);

export const provenancePairSchema = z.tuple([recordIdSchema, provenanceEntrySchema], {
  error: 'a provenance pair must be a [recordId, entry] tuple',
});
export const provenancePairsSchema = z.array(provenancePairSchema, {
  error: 'pairs must be an array of [recordId, entry] tuples',
});

/** The fields every entry has (inferred from the schema), plus any JSON extras. */
type EntryFields = z.infer<typeof provenanceEntrySchema>;

/**
 * One provenance entry: who recalled a record (`sessionId`), with which `cue`, when (`ts`,
 * ISO-8601), plus any JSON-serialisable extras. `Extra` types the extras you write, e.g.
 * `ProvenanceEntry<{ rank: number }>`; other keys stay `unknown`. `entryId` is the
 * library's: assigned when a pair is accepted (see {@link StoredProvenanceEntry}).
 */
export type ProvenanceEntry<Extra extends object = Record<never, never>> = EntryFields & Extra;

/** An entry as stored and read back: it always has its `entryId` (ids sort in enqueue order). */
export type StoredProvenanceEntry<Extra extends object = Record<never, never>> = ProvenanceEntry<Extra> & {
  /** The library's id of this entry: unique per record, sorts in enqueue order. */
  entryId: string;
};

/** `[recordId, entry]`: one provenance write. `recordId` is 1 to 256 characters. */
export type ProvenancePair<Extra extends object = Record<never, never>> = [recordId: string, entry: ProvenanceEntry<Extra>];

/** The extras `recall()` writes on each entry: the hit's place in the results (0 = best) and its score. */
export interface RecallProvenance {
  /** The hit's place in the results: 0 is the best. */
  rank: number;
  /** The hit's score (see `RecallHit.score`). */
  score: number;
}

/** One line of a spill file. `entryId` is always written by the queue; hand-made files may omit it. */
export const spillLineSchema = z.strictObject({
  /** The record the entry belongs to. */
  recordId: recordIdSchema,
  /** The entry's id; hand-made lines may omit it (one is derived from the file name and line number). */
  entryId: entryIdSchema.optional(),
  /** The provenance entry. */
  entry: provenanceEntrySchema,
});
/** One line of a spill file. @interface */
export type SpillLine = z.infer<typeof spillLineSchema>;

const positiveMs = (name: string) =>
  z.number({ error: `${name} must be a number of milliseconds` }).finite().min(0, `${name} must be >= 0`);
const positiveInt = (name: string, min = 1) =>
  z.number({ error: `${name} must be a whole number` }).int(`${name} must be a whole number`).min(min, `${name} must be >= ${min}`);

export const queueOptionsSchema = z.strictObject({
  /** How long the worker waits to gather more pairs before a sink call (default 50 ms). */
  coalesceMs: positiveMs('coalesceMs').default(50),
  /** Batches held in memory before further batches spill to disk (default 4096). */
  maxQueueSize: positiveInt('maxQueueSize').default(4096),
  /** Most pairs in one sink call (default 256). */
  maxBatchPairs: positiveInt('maxBatchPairs').default(256),
  /** Where overflow and failed writes go, as JSONL files (created 0700 on the first spill). Store queues: `<path>/provenance-overflow`. */
  spillDir: z.string({ error: 'spillDir must be a directory path' }).min(1, 'spillDir must not be empty').optional(),
  /** How often an idle worker looks for spill files to read back (default 1000 ms). */
  idlePollMs: positiveMs('idlePollMs').min(1, 'idlePollMs must be >= 1').default(1000),
  /** Attempts per sink call before its pairs go to the spill directory. */
  maxAttempts: positiveInt('maxAttempts').default(5),
  /** First retry delay; doubles each attempt, with full jitter. */
  retryBaseMs: positiveMs('retryBaseMs').default(50),
  /** The longest retry delay (default 5000 ms). */
  retryMaxMs: positiveMs('retryMaxMs').default(5000),
  /** A sink call that has not settled after this long counts as failed (0 = wait for ever). */
  sinkTimeoutMs: positiveMs('sinkTimeoutMs').default(30_000),
  /** A claim on a spill file whose holder stopped refreshing it for this long is taken over (min 2000). */
  claimStaleMs: positiveInt('claimStaleMs', 2000).default(10_000),
  /** 'journal': every accepted pair reaches the journal (page cache) before its enqueue turn ends. */
  durability: z.enum(['journal', 'memory'], { error: "durability must be 'journal' or 'memory'" }).default('journal'),
  /** Where journal segments live (never in spillDir). Default: `<spillDir>-journal`. */
  journalDir: z.string({ error: 'journalDir must be a directory path' }).min(1, 'journalDir must not be empty').optional(),
  /** Journal only: the journal is fsync'd at most this long after a write (the power-loss window). */
  fsyncMs: positiveMs('fsyncMs').default(1000),
  /** Journal segments are rotated past this many bytes. */
  journalSegmentBytes: positiveInt('journalSegmentBytes', 4096)
    .max(MAX_SPILL_LINE_BYTES, `journalSegmentBytes must be at most ${MAX_SPILL_LINE_BYTES} (the largest file the reader takes)`)
    .default(8 * 1024 * 1024),
  /** false: no exit hook; the app calls stop()/close() itself. */
  exitHook: z.boolean({ error: 'exitHook must be true or false' }).default(true),
  /** Where log lines go (default: one JSON line per event on stderr). A pino logger works as is. */
  logger: z.custom<import('./log.js').Logger>(isLogger, 'logger must have debug, info, warn and error methods (the shape of a pino logger: logger.warn(fields, message))').optional(),
});
/**
 * Options of a queue. All optional for a store's queue; a queue built directly needs
 * `spillDir` ({@link DirectQueueOptions}).
 * @interface
 */
export type QueueOptions = z.input<typeof queueOptionsSchema>;
export type ResolvedQueueOptions = z.output<typeof queueOptionsSchema>;

function isLogger(v: unknown): boolean {
  const l = v as Record<string, unknown> | null;
  return !!l && ['debug', 'info', 'warn', 'error'].every((m) => typeof l[m] === 'function');
}

/** How long stop(), close() and disableProvenanceQueue() may take: bounded by default. */
export const MAX_STOP_TIMEOUT_MS = 10_000;
export const stopOptionsSchema = z.strictObject({
  /** At most this long (default 10,000 ms); then what is not durable is saved to the spill directory. */
  timeoutMs: positiveMs('timeoutMs').optional(),
  /** Abort to end the wait now (what is not durable is saved to the spill directory). */
  signal: z.instanceof(AbortSignal, { error: 'signal must be an AbortSignal' }).optional(),
});
/**
 * How long `stop()`, `close()` and `disableProvenanceQueue()` may take: at `timeoutMs`
 * (default 10 s) or when `signal` aborts, what is not yet durable is saved to the spill
 * directory (or the sync sink) and the call resolves.
 * @interface
 */
export type StopOptions = z.input<typeof stopOptionsSchema>;

export const flushOptionsSchema = z.strictObject({
  /** At most this long (default 2000 ms); flush() then resolves false. Nothing is lost either way. */
  timeoutMs: positiveMs('timeoutMs').optional(),
  /** Abort to stop waiting now: flush() resolves false. */
  signal: z.instanceof(AbortSignal, { error: 'signal must be an AbortSignal' }).optional(),
});
/** How long `flush()` waits: `timeoutMs` (default 2000) or until `signal` aborts. @interface */
export type FlushOptions = z.input<typeof flushOptionsSchema>;

export const storeOpenOptionsSchema = z.strictObject({
  /** The store directory; created (0700) if missing. */
  path: z.string({ error: 'path must be a directory path' }).min(1, 'path must not be empty'),
  /** Where the store and its queue log (default: JSON lines on stderr). A pino logger works as is. */
  logger: z.custom<import('./log.js').Logger>(isLogger, 'logger must have debug, info, warn and error methods (the shape of a pino logger: logger.warn(fields, message))').optional(),
});
/** Options of `LmdbMemoryStore.open`. @interface */
export type StoreOpenOptions = z.input<typeof storeOpenOptionsSchema>;

/** A string the stores read back as written: no lone surrogate (see json-data.ts). */
const wellFormedString = (name: string) =>
  z.string({ error: `${name} must be a string` }).refine(isWellFormed, loneSurrogate(`${name} is a string`));

export const recordInputSchema = z.strictObject({
  /** 1 to 256 characters; a UUID when absent. */
  id: recordIdSchema.optional(),
  /** The memory's text (searched by word overlap when a query has no embedding). */
  text: wellFormedString('text'),
  /** A vector for cosine-similarity recall. */
  embedding: z.array(z.number().finite(), { error: 'embedding must be an array of finite numbers' }).optional(),
  /** Free labels, stored with the record. */
  tags: z.array(wellFormedString('a tag'), { error: 'tags must be an array of strings' }).optional(),
});
/** A record to insert. @interface */
export type RecordInput = z.input<typeof recordInputSchema>;

export const recallQuerySchema = z.strictObject({
  /** What is being recalled; stored in each provenance entry. */
  cue: wellFormedString('cue'),
  /** Who recalled; stored in each provenance entry. */
  sessionId: wellFormedString('sessionId'),
  /** Ranks by cosine similarity to this vector when given (text overlap otherwise). */
  embedding: z.array(z.number().finite(), { error: 'embedding must be an array of finite numbers' }).optional(),
  /** How many hits at most (default 5). */
  k: positiveInt('k').default(5),
});
/** A recall query. @interface */
export type RecallQuery = z.input<typeof recallQuerySchema>;

/** Turns a zod error into one line that names each bad field. */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const where = [root, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .filter(Boolean)
        .join('.')
        .replace(/\.\[/g, '[');
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** A Postgres identifier we create and quote ourselves: letters, digits, `_`, at most 63 bytes. */
export const postgresSchemaNameSchema = z
  .string({ error: 'schema must be a string' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'schema must be a plain Postgres name (letters, digits and _, not starting with a digit, at most 63 characters)');

export const postgresStoreOpenOptionsSchema = z.strictObject({
  /** `postgres://user:pass@host:5432/db` (the password is never printed). */
  connectionString: z
    .string({ error: 'connectionString must be a postgres:// URL' })
    .min(1, 'connectionString must not be empty; pass a URL such as postgres://user:pass@host:5432/db'),
  /** This host's own spill directory (its journal is `<spillDir>-journal`). */
  spillDir: z.string({ error: 'spillDir must be a directory path' }).min(1, 'spillDir must not be empty; pass a local directory for this host'),
  /** The Postgres schema holding the tables (default `provq`); created if missing. */
  schema: postgresSchemaNameSchema.default('provq'),
  /** Connections in this process's pool (recalls and the queue's writes share it). */
  maxConnections: positiveInt('maxConnections').default(10),
  /** Where the store and its queue log (default: JSON lines on stderr). A pino logger works as is. */
  logger: z.custom<import('./log.js').Logger>(isLogger, 'logger must have debug, info, warn and error methods (the shape of a pino logger: logger.warn(fields, message))').optional(),
});
/** Options of `PostgresMemoryStore.open`. @interface */
export type PostgresStoreOpenOptions = z.input<typeof postgresStoreOpenOptionsSchema>;
