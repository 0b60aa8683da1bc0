// Writing provenance pairs into LMDB under their [recordId, entryId] keys: a batch put in one
// go (resolving once every transaction it spans has committed), or one synchronous
// transaction (at exit). A stored entry is never replaced: pairs whose ids may be stored
// already are put conditionally, and a key found taken is a counted no-op.
import type { Database, PutOptions, RootDatabase } from 'lmdb';
import type { ProvenancePair, StoredProvenanceEntry } from '../schemas.js';
import type { SinkWriteContext } from '../sink.js';
import { byRecord } from './by-record.js';
import { EntryKeys, type ProvenanceKey } from './entry-keys.js';
import type { EntryValueEncoder } from './entry-value.js';
import { quietCommitError } from './lmdb-commit-guard.js';

/** A replayed pair finds its key taken: LMDB keeps the stored entry and reports it. */
const NO_OVERWRITE: PutOptions = { noOverwrite: true };

/** lmdb's typings leave out the result of a conditional put (documented: false when not written), and values given as bytes (`asBinary`). */
interface ValuePuts {
  put(key: ProvenanceKey, value: EntryValue, options?: PutOptions): Promise<boolean>;
  putSync(key: ProvenanceKey, value: EntryValue, options: PutOptions): boolean;
}

/** An entry, or its bytes for lmdb to store as they are. */
type EntryValue = ReturnType<EntryValueEncoder['valueOf']>;

/** Where pairs are written, and which records are known to be stored (no read for those). */
export interface ProvenanceTarget {
  readonly env: RootDatabase;
  readonly records: Database<unknown, string>;
  readonly provenance: Database<StoredProvenanceEntry, ProvenanceKey>;
  readonly recordStored: (recordId: string) => boolean;
  /** Writes the entries' values as lmdb's encoder would (entry-value.ts). */
  readonly values: EntryValueEncoder;
}

/** What a write found: pairs for records the store does not have (skipped), and ids stored already. */
export interface WriteOutcome {
  unknown: ProvenancePair[];
  duplicates: number;
}

/**
 * Puts a batch in one go and resolves when all of it is durable. `mayBeStored`: put every
 * pair conditionally. Ids the queue assigned to fresh pairs are new by construction and skip
 * that cost (a retry of the same pair rewrites the same bytes).
 */
export async function putPairs(t: ProvenanceTarget, pairs: ProvenancePair[], mayBeStored: boolean): Promise<WriteOutcome> {
  const entries = new EntryKeys(t.records, pairs, t.recordStored);
  const puts = t.provenance as unknown as ValuePuts;
  const checked: Promise<boolean>[] = [];
  // Plain puts share one promise per transaction; a batch may span several transactions,
  // and every one of them must have committed (one failing must fail the call).
  const commits = new Set<Promise<boolean>>();
  try {
    for (let i = 0; i < pairs.length; i++) {
      const key = entries.keyOf(i);
      if (!key) continue;
      if (mayBeStored) checked.push(puts.put(key, t.values.valueOf(entries.valueOf(i, key)), NO_OVERWRITE));
      else commits.add(puts.put(key, t.values.valueOf(entries.valueOf(i, key))));
    }
  } catch (err) {
    // A put that threw (a full disk, say) leaves the ones before it unawaited: watch them.
    watchAll(commits, checked);
    throw err;
  }
  // One wait on every put at once gives each a handler, so a failed commit is no unhandled
  // rejection; the `commitError`s are quieted only when one failed (a read-back batch has a
  // conditional put, and so a promise, per pair: a second promise each to watch it was a
  // good part of its garbage).
  let stored: boolean[];
  try {
    [, stored] = await Promise.all([Promise.all(commits), Promise.all(checked)]);
  } catch (err) {
    watchAll(commits, checked);
    throw err;
  }
  let duplicates = 0;
  for (let i = 0; i < stored.length; i++) if (!stored[i]) duplicates++;
  return { unknown: entries.unknown, duplicates };
}

/** The pairs in one synchronous transaction, durable when it returns; always conditional (at exit a call still under way may have landed). */
export function putPairsSync(t: ProvenanceTarget, pairs: ProvenancePair[]): WriteOutcome {
  const entries = new EntryKeys(t.records, pairs, t.recordStored);
  const puts = t.provenance as unknown as ValuePuts;
  let duplicates = 0;
  const order = byRecord(pairs);
  t.env.transactionSync(() => {
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const key = entries.keyOf(i);
      if (key && !puts.putSync(key, t.values.valueOf(entries.valueOf(i, key)), NO_OVERWRITE)) duplicates++;
    }
  });
  return { unknown: entries.unknown, duplicates };
}

/** True unless the queue vouches that every id in the batch was assigned to its pair just now. */
export function mayBeStored(pairs: ProvenancePair[], context: SinkWriteContext | undefined): boolean {
  if (context) return context.replayed || context.inputIds === true;
  for (let i = 0; i < pairs.length; i++) if (pairs[i]![1].entryId !== undefined) return true;
  return false;
}

/** A put's failure is the caller's; the `commitError` promise hung on each is marked handled. */
function watchAll(commits: Iterable<Promise<boolean>>, checked: Iterable<Promise<boolean>>): void {
  for (const p of commits) p.catch(quietCommitError);
  for (const p of checked) p.catch(quietCommitError);
}
