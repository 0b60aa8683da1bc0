// The CLI's option shapes (zod): what commander parsed is checked here before any work.
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues, queueOptionsSchema, recordIdSchema } from '../schemas.js';
import { UsageError } from '../errors.js';
import { JOURNAL_DIR_NAME, SPILL_DIR_NAME } from '../store/store-layout.js';

const path = (flag: string) => z.string({ error: `${flag} needs a path` }).min(1, `${flag} needs a path`);

export const statusArgsSchema = z
  .strictObject({ store: path('--store').optional(), dir: path('--dir').optional(), json: z.boolean().default(false) })
  .refine((a) => (a.store === undefined) !== (a.dir === undefined), 'give either --store PATH or --dir DIR (one of them)');

export const replayArgsSchema = z.strictObject({ store: path('--store'), dir: path('--dir').optional() });

export const retryArgsSchema = z.strictObject({
  // Whether it names a quarantined file is checked by the command, with the name as given.
  file: path('FILE'),
  salvage: z.boolean().default(false),
  store: path('--store').optional(),
});

export const statsArgsSchema = z.strictObject({
  store: path('--store'),
  record: recordIdSchema.optional(),
  json: z.boolean().default(false),
});

export const demoArgsSchema = z.strictObject({ store: path('--store').default('./.demo-store') });

const FLAG: Record<string, string> = { file: 'FILE', store: '--store', dir: '--dir', record: '--record' };

/** Checks parsed options; a failure is a usage error (exit 2) naming the option. */
export function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UsageError(withFlagNames(describeIssues(r.error)));
  return r.data;
}

/** `record: recordId must not be empty` → `--record: ...`: name options as the user typed them. */
function withFlagNames(issues: string): string {
  return issues.replace(/(^|; )(\w+):/g, (_, sep: string, key: string) => `${sep}${FLAG[key] ?? key}:`);
}

/** A store's spill directory, as store queues default it. */
export function storeSpillDir(storePath: string): string {
  return join(storePath, SPILL_DIR_NAME);
}

/** A store's journal directory, as store queues default it. */
export function storeJournalDir(storePath: string): string {
  return join(storePath, JOURNAL_DIR_NAME);
}

/** Claims are judged (and taken over) with the queue's default `claimStaleMs`. */
export const CLAIM_STALE_MS = queueOptionsSchema.parse({}).claimStaleMs;
