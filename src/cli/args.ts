// The CLI's option shapes (zod): what commander parsed is checked here before any work.
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues, postgresSchemaNameSchema, queueOptionsSchema, recordIdSchema } from '../schemas.js';
import { UsageError } from '../errors.js';
import { JOURNAL_DIR_NAME, SPILL_DIR_NAME } from '../store/store-layout.js';

const path = (flag: string) => z.string({ error: `${flag} needs a path` }).min(1, `${flag} needs a path`);

/** `--postgres URL [--schema NAME]`: a PostgresMemoryStore instead of `--store PATH`. */
const postgresFlags = {
  postgres: z.string({ error: '--postgres needs a URL' }).regex(/^postgres(ql)?:\/\//, '--postgres needs a postgres:// URL').optional(),
  schema: postgresSchemaNameSchema.optional(),
};
const ONE_STORE = 'give either --store PATH or --postgres URL (one of them)';
const POSTGRES_NEEDS_DIR = '--postgres needs --dir SPILLDIR: the local spill dir of the host whose files to apply';
const SCHEMA_NEEDS_POSTGRES = '--schema goes with --postgres URL';

export const statusArgsSchema = z
  .strictObject({ store: path('--store').optional(), dir: path('--dir').optional(), json: z.boolean().default(false), ...postgresFlags })
  .refine((a) => !(a.store !== undefined && (a.dir !== undefined || a.postgres !== undefined)), 'give either --store PATH or --dir DIR (one of them)')
  .refine((a) => a.store !== undefined || a.dir !== undefined, 'give either --store PATH or --dir DIR (for a Postgres store: --postgres URL --dir DIR)')
  .refine((a) => a.postgres === undefined || a.dir !== undefined, POSTGRES_NEEDS_DIR);

export const replayArgsSchema = z
  .strictObject({ store: path('--store').optional(), dir: path('--dir').optional(), ...postgresFlags })
  .refine((a) => (a.store === undefined) !== (a.postgres === undefined), ONE_STORE)
  .refine((a) => a.postgres === undefined || a.dir !== undefined, POSTGRES_NEEDS_DIR)
  .refine((a) => a.schema === undefined || a.postgres !== undefined, SCHEMA_NEEDS_POSTGRES);

export const retryArgsSchema = z.strictObject({
  // Whether it names a quarantined file is checked by the command, with the name as given.
  file: path('FILE'),
  salvage: z.boolean().default(false),
  store: path('--store').optional(),
  ...postgresFlags,
})
  .refine((a) => a.store === undefined || a.postgres === undefined, 'give --store PATH or --postgres URL, not both')
  .refine((a) => a.schema === undefined || a.postgres !== undefined, SCHEMA_NEEDS_POSTGRES);

export const statsArgsSchema = z
  .strictObject({
    store: path('--store').optional(),
    dir: path('--dir').optional(),
    record: recordIdSchema.optional(),
    json: z.boolean().default(false),
    ...postgresFlags,
  })
  .refine((a) => (a.store === undefined) !== (a.postgres === undefined), ONE_STORE)
  .refine((a) => a.schema === undefined || a.postgres !== undefined, SCHEMA_NEEDS_POSTGRES);

export const demoArgsSchema = z.strictObject({ store: path('--store').default('./.demo-store') });

const FLAG: Record<string, string> = { file: 'FILE', store: '--store', dir: '--dir', record: '--record', postgres: '--postgres', schema: '--schema' };

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
