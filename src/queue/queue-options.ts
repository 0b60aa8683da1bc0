// A directly built queue's options: parsed (zod), with the spill dir required and the
// journal's own directory worked out (beside the spill dir unless given, never the same).
import { InvalidOptionsError } from '../errors.js';
import { queueOptionsSchema, type QueueOptions, type ResolvedQueueOptions } from '../schemas.js';
import { parseOptions } from '../validate.js';
import { journalDirBeside } from '../journal/journal-dir.js';

/** Options of a queue built directly: as {@link QueueOptions}, with `spillDir` required. */
export type DirectQueueOptions = QueueOptions & {
  /** Required: where overflow and failed writes go (created 0700 on the first spill). */
  spillDir: string;
};

export interface QueueDirs {
  opts: ResolvedQueueOptions;
  spillDir: string;
  /** Null with durability 'memory'. */
  journalDir: string | null;
}

/** Throws InvalidOptionsError naming a bad option. */
export function resolveQueueOptions(raw: DirectQueueOptions): QueueDirs {
  const opts = parseOptions(queueOptionsSchema, raw, 'queue options', "{ spillDir: './provenance-spill' }");
  if (!opts.spillDir) {
    throw new InvalidOptionsError(
      'invalid queue options: spillDir is required for a queue built directly (store queues default it to <store path>/provenance-overflow)',
    );
  }
  const spillDir = opts.spillDir;
  const journalDir = opts.durability === 'journal' ? (opts.journalDir ?? journalDirBeside(spillDir)) : null;
  if (journalDir === spillDir) {
    throw new InvalidOptionsError(`invalid queue options: journalDir must not be the spillDir (${spillDir}); give the journal its own directory`);
  }
  return { opts, spillDir, journalDir };
}
