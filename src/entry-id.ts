// Entry ids give every pair its exactly-once identity and its place in a record's history:
// `<13-digit ms>-<process tag>-<10-char sequence>` sorts in enqueue order within a
// process (one counter for every queue and the sync path) and by time across processes.
import { randomBytes } from 'node:crypto';

const PROCESS_TAG = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
let nextSeq = 0;
let lastMs = 0;

/** A block of `count` consecutive ids, reserved without allocating a string each. */
export interface IdBlock {
  readonly ms: number;
  readonly seq0: number;
}

export function reserveEntryIds(count: number): IdBlock {
  // The clock may step back (NTP); ids must not.
  const now = Date.now();
  if (now > lastMs) lastMs = now;
  const block = { ms: lastMs, seq0: nextSeq };
  nextSeq += count;
  return block;
}

/**
 * Ids issued from now on sort after every id issued at or before `ms`: a store's persisted
 * high-water mark, so a restart on a clock that stepped back never issues ids that sort first.
 */
export function raiseEntryIdFloor(ms: number): void {
  if (Number.isFinite(ms) && ms > lastMs) lastMs = Math.floor(ms);
}

/** The ms of an id issued by this library (not a derived `file:` id), else undefined. */
export function issuedIdTime(entryId: string): number | undefined {
  const m = /^(\d{13})-(?!file:)/.exec(entryId);
  return m ? Number(m[1]) : undefined;
}

export function formatEntryId(ms: number, seq: number): string {
  return `${String(ms).padStart(13, '0')}-${PROCESS_TAG}-${seq.toString(36).padStart(10, '0')}`;
}

/**
 * The id of a hand-made spill line that has none: stable for the same file and line, so
 * reading the file twice never duplicates; ordered by the entry's own timestamp.
 */
export function derivedEntryId(fileName: string, lineNumber: number, ts: string): string {
  const ms = Date.parse(ts);
  const prefix = Number.isFinite(ms) && ms >= 0 ? String(ms).padStart(13, '0') : '0000000000000';
  return `${prefix}-file:${fileName}:${String(lineNumber).padStart(9, '0')}`;
}
