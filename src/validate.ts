// Applies a zod schema at a boundary and turns failure into a typed error naming the field.
// Pairs, which cross the hot path, get a fast check first; zod stays the judge of anything
// the fast check is unsure about, and the only source of error messages.
import type { z } from 'zod';
import { ENTRY_ID_FORMAT } from './entry-id.js';
import { InvalidArgumentError, InvalidPairError, InvalidOptionsError } from './errors.js';
import { copyJsonData, findJsonFault, isFlatJsonRecord, isNotJson, isPlainRecord, isWellFormed, objectPrototypeIsPlain, ownData } from './json-data.js';
import {
  describeIssues,
  MAX_ENTRY_ID_LENGTH,
  MAX_RECORD_ID_LENGTH,
  provenanceEntryFieldsSchema,
  provenancePairsSchema,
  recordIdSchema,
  type ProvenanceEntry,
  type ProvenancePair,
  type SpillLine,
} from './schemas.js';

/**
 * Parses an options object (absent = `{}`). Anything but a plain object is refused up
 * front, so `f('fast')` or `f(null)` reads "expected an object such as …", not zod's
 * complaint about keys "0", "1", "2".
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string, example = '{ … }'): z.output<S> {
  if (value !== undefined && !isOptionsObject(value)) {
    throw new InvalidOptionsError(`invalid ${what}: expected an object such as ${example}, got ${describeValue(value)}`);
  }
  const r = schema.safeParse(ownData(value ?? {}));
  if (!r.success) throw new InvalidOptionsError(`invalid ${what}: ${describeIssues(r.error)}`);
  return r.data;
}

function isOptionsObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a wrong value is, for a message: `null`, `undefined`, `an array`, `a string ("fast")`, `a number (-1)`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `a ${typeof v} (${String(v)})`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A record id argument (`get(id)`): checked before it reaches LMDB, whose key limit would throw a RangeError. */
export function parseRecordIdArgument(id: unknown, call: string): string {
  const r = recordIdSchema.safeParse(id);
  if (r.success) return r.data;
  const got = typeof id === 'string' ? `a string of ${id.length} characters` : describeValue(id);
  throw new InvalidArgumentError(
    `invalid ${call}: ${r.error.issues[0]!.message}, got ${got}; pass a record id as insert() returned it (1 to ${MAX_RECORD_ID_LENGTH} characters)`,
  );
}

/**
 * Validates pairs for enqueue and returns deep copies the caller can no longer mutate (a
 * pair changed after enqueue, at any depth, must not turn invalid in the queue or a spill
 * file). The error names the pair index and field; one bad pair refuses the whole call.
 */
export function parsePairs(pairs: unknown): ProvenancePair[] {
  if (Array.isArray(pairs)) {
    const out: ProvenancePair[] = new Array(pairs.length);
    let i = 0;
    for (; i < pairs.length; i++) {
      const p: unknown = pairs[i];
      if (!Array.isArray(p) || p.length !== 2) break;
      // Each field read once, and the copy is what is checked: a getter read twice could
      // answer the check one thing and the copy another (an entry the schema refuses, in the
      // queue and in a spill file that would then be quarantined whole).
      const recordId: unknown = p[0];
      const entry = copyJsonData(p[1]);
      if (isNotJson(entry) || !isKeyString(recordId, MAX_RECORD_ID_LENGTH) || !isPlainValidEntry(entry)) break;
      out[i] = [recordId, entry];
    }
    if (i === pairs.length) return out;
  }
  return copyEntries(parsePairsWithZod(pairs));
}

/**
 * Validates pairs a sink writes at once (a store's appendProvenanceBatch called directly, or
 * by recall's sync fallback): `parsePairs`, copies included. Each field is read once, so
 * what is written is what was checked. Before (breaker15) the caller's entries were checked
 * and then written as they were: a getter that answered differently on a later read stored
 * NaN, undefined or a non-ASCII string the check never saw. The copy costs nothing a caller
 * could measure here: these calls wait for a commit (milliseconds); the queue's own writes
 * skip this (context.validated).
 */
export function checkPairs(pairs: unknown): ProvenancePair[] {
  return parsePairs(pairs);
}

/** zod accepted the pairs; the copies the queue keeps are made as on the fast path. */
function copyEntries(pairs: ProvenancePair[]): ProvenancePair[] {
  return pairs.map(([recordId, entry], i) => {
    const copy = copyJsonData(entry);
    // Only a getter that answers differently on a second read gets here.
    if (isNotJson(copy)) throw new InvalidPairError(`invalid provenance pair: pairs[${i}].entry changed while it was being read; pass plain JSON data`);
    return [recordId, copy as ProvenanceEntry];
  });
}

function parsePairsWithZod(pairs: unknown): ProvenancePair[] {
  const r = provenancePairsSchema.safeParse(pairs);
  if (r.success) return r.data as ProvenancePair[];
  const first = r.error.issues[0]!;
  const [index, slot, ...rest] = first.path;
  let where = 'pairs';
  if (index !== undefined) where += `[${String(index)}]`;
  if (slot === 0) where += '.recordId';
  else if (slot === 1) where += `.entry${rest.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}`;
  throw new InvalidPairError(
    `invalid provenance pair: ${where}: ${first.message} (nothing was queued; fix the pair and enqueue it again)`,
  );
}

/** The same for a parsed spill line (a strict object: no keys but these three). */
export function isPlainValidSpillLine(v: unknown): v is SpillLine {
  if (!isPlainObject(v)) return false;
  let keys = 0;
  const inherited = !objectPrototypeIsPlain();
  for (const k in v) {
    if (inherited && !Object.hasOwn(v, k)) continue;
    if (k !== 'recordId' && k !== 'entryId' && k !== 'entry') return false;
    keys++;
  }
  if (v.entryId !== undefined && !isEntryId(v.entryId)) return false;
  return (
    keys === (v.entryId === undefined ? 2 : 3) &&
    isKeyString(v.recordId, MAX_RECORD_ID_LENGTH) &&
    isPlainValidEntry(v.entry) &&
    (isFlatJsonRecord(v.entry) || findJsonFault(v.entry) === null)
  );
}

function isPlainValidEntry(entry: unknown): entry is ProvenanceEntry {
  if (!isPlainObject(entry)) return false;
  if (typeof entry.cue !== 'string' || typeof entry.sessionId !== 'string') return false;
  if (entry.entryId !== undefined && !isEntryId(entry.entryId)) return false;
  return isValidTs(entry.ts);
}

function isEntryId(id: unknown): boolean {
  return isKeyString(id, MAX_ENTRY_ID_LENGTH) && ENTRY_ID_FORMAT.test(id);
}

// Plain objects only: a copy of a class instance would lose its prototype's getters.
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && isPlainRecord(v);
}

function isKeyString(s: unknown, max: number): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= max && !s.includes('\u0000') && isWellFormed(s);
}

// The pairs of one recall share a timestamp, and timestamps repeat within a millisecond:
// the last one zod accepted is remembered so the date-time check runs once per distinct ts.
const tsSchema = provenanceEntryFieldsSchema.shape.ts;
/** Nothing is remembered before zod accepted a ts (an initial '' let an empty ts through). */
let lastValidTs: string | undefined;

export function isValidTs(ts: unknown): boolean {
  if (typeof ts !== 'string') return false;
  if (ts === lastValidTs) return true;
  if (!tsSchema.safeParse(ts).success) return false;
  lastValidTs = ts;
  return true;
}
