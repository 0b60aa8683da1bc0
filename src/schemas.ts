// Every shape that crosses a boundary (caller → queue, disk → queue, argv → CLI) lives
// here as a zod schema; the TypeScript types are inferred from these, never written twice.
import { z } from 'zod';

export const MAX_RECORD_ID_LENGTH = 256;
/** With a 256-char recordId, keys stay within LMDB's 1,978-byte limit. */
export const MAX_ENTRY_ID_LENGTH = 300;

export const recordIdSchema = z
  .string({ error: 'recordId must be a string' })
  .min(1, 'recordId must not be empty')
  .max(MAX_RECORD_ID_LENGTH, `recordId must be at most ${MAX_RECORD_ID_LENGTH} characters`)
  // LMDB's ordered keys use NUL as the array delimiter.
  .refine((s) => !s.includes('\u0000'), 'recordId must not contain a NUL character');

export const entryIdSchema = z
  .string({ error: 'entryId must be a string' })
  .min(1, 'entryId must not be empty')
  .max(MAX_ENTRY_ID_LENGTH, `entryId must be at most ${MAX_ENTRY_ID_LENGTH} characters`)
  .refine((s) => !s.includes('\u0000'), 'entryId must not contain a NUL character');

export const provenanceEntrySchema = z.looseObject({
  ts: z.iso.datetime({ offset: true, error: 'ts must be an ISO-8601 date-time string, e.g. 2026-01-31T12:00:00.000Z' }),
  cue: z.string({ error: 'cue must be a string' }),
  sessionId: z.string({ error: 'sessionId must be a string' }),
  entryId: entryIdSchema.optional(),
});

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
export type StoredProvenanceEntry<Extra extends object = Record<never, never>> = ProvenanceEntry<Extra> & { entryId: string };

/** `[recordId, entry]`: one provenance write. `recordId` is 1 to 256 characters. */
export type ProvenancePair<Extra extends object = Record<never, never>> = [recordId: string, entry: ProvenanceEntry<Extra>];

/** The extras `recall()` writes on each entry: the hit's place in the results (0 = best) and its score. */
export interface RecallProvenance {
  rank: number;
  score: number;
}

/** One line of a spill file. `entryId` is always written by the queue; hand-made files may omit it. */
export const spillLineSchema = z.strictObject({
  recordId: recordIdSchema,
  entryId: entryIdSchema.optional(),
  entry: provenanceEntrySchema,
});
export type SpillLine = z.infer<typeof spillLineSchema>;

const positiveMs = (name: string) =>
  z.number({ error: `${name} must be a number of milliseconds` }).finite().min(0, `${name} must be >= 0`);
const positiveInt = (name: string, min = 1) =>
  z.number({ error: `${name} must be a whole number` }).int(`${name} must be a whole number`).min(min, `${name} must be >= ${min}`);

export const queueOptionsSchema = z.strictObject({
  coalesceMs: positiveMs('coalesceMs').default(50),
  maxQueueSize: positiveInt('maxQueueSize').default(4096),
  maxBatchPairs: positiveInt('maxBatchPairs').default(256),
  spillDir: z.string({ error: 'spillDir must be a directory path' }).min(1, 'spillDir must not be empty').optional(),
  idlePollMs: positiveMs('idlePollMs').min(1, 'idlePollMs must be >= 1').default(1000),
  /** Attempts per sink call before its pairs go to the spill directory. */
  maxAttempts: positiveInt('maxAttempts').default(5),
  /** First retry delay; doubles each attempt, with full jitter. */
  retryBaseMs: positiveMs('retryBaseMs').default(50),
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
  journalSegmentBytes: positiveInt('journalSegmentBytes', 4096).default(8 * 1024 * 1024),
  /** false: no exit hook; the app calls stop()/close() itself. */
  exitHook: z.boolean({ error: 'exitHook must be true or false' }).default(true),
  logger: z.custom<import('./log.js').Logger>(isLogger, 'logger must have debug, info, warn and error methods (the shape of a pino logger: logger.warn(fields, message))').optional(),
});
export type QueueOptions = z.input<typeof queueOptionsSchema>;
export type ResolvedQueueOptions = z.output<typeof queueOptionsSchema>;

function isLogger(v: unknown): boolean {
  const l = v as Record<string, unknown> | null;
  return !!l && ['debug', 'info', 'warn', 'error'].every((m) => typeof l[m] === 'function');
}

/** How long stop(), close() and disableProvenanceQueue() may take: bounded by default. */
export const MAX_STOP_TIMEOUT_MS = 10_000;
export const stopOptionsSchema = z.strictObject({
  timeoutMs: positiveMs('timeoutMs').optional(),
  signal: z.instanceof(AbortSignal, { error: 'signal must be an AbortSignal' }).optional(),
});
export type StopOptions = z.input<typeof stopOptionsSchema>;

export const flushOptionsSchema = z.strictObject({
  timeoutMs: positiveMs('timeoutMs').optional(),
  signal: z.instanceof(AbortSignal, { error: 'signal must be an AbortSignal' }).optional(),
});
export type FlushOptions = z.input<typeof flushOptionsSchema>;

export const storeOpenOptionsSchema = z.strictObject({
  path: z.string({ error: 'path must be a directory path' }).min(1, 'path must not be empty'),
  logger: z.custom<import('./log.js').Logger>(isLogger, 'logger must have debug, info, warn and error methods (the shape of a pino logger: logger.warn(fields, message))').optional(),
});
export type StoreOpenOptions = z.input<typeof storeOpenOptionsSchema>;

export const recordInputSchema = z.strictObject({
  id: recordIdSchema.optional(),
  text: z.string({ error: 'text must be a string' }),
  embedding: z.array(z.number().finite(), { error: 'embedding must be an array of finite numbers' }).optional(),
  tags: z.array(z.string(), { error: 'tags must be an array of strings' }).optional(),
});
export type RecordInput = z.input<typeof recordInputSchema>;

export const recallQuerySchema = z.strictObject({
  cue: z.string({ error: 'cue must be a string' }),
  sessionId: z.string({ error: 'sessionId must be a string' }),
  embedding: z.array(z.number().finite(), { error: 'embedding must be an array of finite numbers' }).optional(),
  k: positiveInt('k').default(5),
});
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
