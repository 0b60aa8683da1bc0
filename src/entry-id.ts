// Entry ids give every pair its exactly-once identity and its place in a record's history:
// `<13-digit ms>-<process tag>-<10-char sequence>` sorts in enqueue order within a
// process (one counter for every queue and the sync path) and by time across processes.
//
// The ms part comes from the id clock, not from Date.now(): the wall clock is read once and
// then advanced by the monotonic clock, so a step of the wall clock inside the process (NTP,
// a VM resume, a hand) never moves ids, forward or back. Across restarts, a store raises the
// clock to above its persisted high-water mark and holds it below a leased ceiling that is
// durable before any id passes it (src/store/id-high-water.ts), so a store's ids never go
// backwards, also when the clock stepped back between two runs.
import { randomBytes } from 'node:crypto';
import { knownAscii } from './ascii-bytes.js';

const PROCESS_TAG = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;

/**
 * The library's id formats: ids it assigns, and ids it derives for hand-made spill lines
 * (`<13-digit ms>-file:<file name>:<9-digit line>`). An input entry may carry only these.
 */
export const ENTRY_ID_FORMAT = /^\d{13}-(?:[0-9a-z]{7,20}-[0-9a-z]{10}|file:[^\u0000]+:\d{9,})$/;

/** A block of `count` consecutive ids, reserved without allocating a string each. */
export interface IdBlock {
  readonly ms: number;
  readonly seq0: number;
}

/** A ceiling the id clock must not pass until its holder has made a higher one durable. */
export interface IdLease {
  /** Ids may carry at most this ms. */
  readonly ceilingMs: number;
  /** Asked (from the hot path, so cheaply) once the clock is within half a lease of the ceiling. */
  readonly renewAtMs: number;
  renew(): void;
}

let anchorWall = 0;
let anchorMono = 0;
let anchored = false;
/** The ms of the last id handed out (or a floor raised by a store): ids never go below it. */
let issuedMs = 0;
let nextSeq = 0;
const leases: IdLease[] = [];

/** Wall time read once, advanced by the monotonic clock. */
export function idClockMs(): number {
  if (!anchored) {
    anchorWall = Date.now();
    anchorMono = performance.now();
    anchored = true;
  }
  return Math.floor(anchorWall + (performance.now() - anchorMono));
}

/**
 * The id clock now, never below an id already issued (or a store's floor): the time in spill
 * and journal file names, so that their lexical order stays their age when the wall clock
 * steps while the process runs, and a restart after a step back names its files after the
 * ones left before it (the store's floor is above them).
 */
export function idNowMs(): number {
  return Math.max(idClockMs(), issuedMs);
}

export function reserveEntryIds(count: number): IdBlock {
  const clock = idClockMs();
  let ms = clock;
  for (let i = 0; i < leases.length; i++) {
    const lease = leases[i]!;
    if (clock >= lease.renewAtMs || issuedMs > lease.ceilingMs) lease.renew();
    if (ms > lease.ceilingMs) ms = lease.ceilingMs;
  }
  if (ms > issuedMs) issuedMs = ms;
  const block = { ms: issuedMs, seq0: nextSeq };
  nextSeq += count;
  return block;
}

/**
 * The ceiling a lease of `leaseMs` should make durable: `leaseMs` ahead of the clock, and at
 * least every id already issued. Never `leaseMs` ahead of a floor that is itself ahead of the
 * clock: a store opened again and again (or restarted quickly) would otherwise push its ids a
 * lease further into the future at every open.
 */
export function leaseCeilingMs(leaseMs: number): number {
  return Math.max(issuedMs, idClockMs() + leaseMs);
}

/**
 * Ids issued from now on carry at least `ms`: a store's persisted high-water mark, so a
 * restart on a clock that stepped back never issues ids that sort first.
 */
export function raiseEntryIdFloor(ms: number): void {
  if (Number.isFinite(ms) && ms > issuedMs) issuedMs = Math.floor(ms);
}

/** The ms of an id issued by this library (not a derived `file:` id), else undefined. */
export function issuedIdTime(entryId: string): number | undefined {
  const m = /^(\d{13})-(?!file:)/.exec(entryId);
  return m ? Number(m[1]) : undefined;
}

export function holdIdLease(lease: IdLease): void {
  if (!leases.includes(lease)) leases.push(lease);
}

export function releaseIdLease(lease: IdLease): void {
  const i = leases.indexOf(lease);
  if (i >= 0) leases.splice(i, 1);
}

/** `<13-digit ms>-<process tag>-` of the last ms asked for: the ids of a batch share it. */
let prefixMs = -1;
let prefix = '';

function idPrefix(ms: number): string {
  if (ms !== prefixMs) {
    prefix = `${String(ms).padStart(13, '0')}-${PROCESS_TAG}-`;
    prefixMs = ms;
  }
  return prefix;
}

export function formatEntryId(ms: number, seq: number): string {
  return idPrefix(ms) + seq.toString(36).padStart(10, '0');
}

/** Bytes of an id formatEntryId writes (for a ms below 10^13 and a seq below 36^10): the ms, `-<process tag>-`, the sequence. */
export const ENTRY_ID_BYTES = 13 + PROCESS_TAG.length + 2 + 10;
const MAX_ID_MS = 1e13;
const MAX_ID_SEQ = 36 ** 10;
/** 36^5: a sequence number is written as two int32 halves of five base-36 digits. */
const SEQ_LOW = 36 ** 5;

/** idPrefix(ms) as bytes, for the last ms written. */
let prefixBytesMs = -1;
let prefixBytes = knownAscii('');
/** The base-36 digits (as bytes) of the last sequence number written: the next one is an increment. */
let lastSeq = -2;
const seqDigits = new Uint8Array(10);
const seqView = new DataView(seqDigits.buffer);

/**
 * formatEntryId(ms, seq) written as bytes at `off` (overflow's and the journal's lines: no
 * string per pair); returns the offset after it, or -1 when it does not fit before `limit`
 * or the numbers outgrow the fixed widths (the caller then formats the string).
 */
export function writeEntryId(ms: number, seq: number, dst: DataView, off: number, limit: number): number {
  if (off + ENTRY_ID_BYTES > limit || ms >= MAX_ID_MS || seq >= MAX_ID_SEQ || ms < 0 || seq < 0 || ms !== Math.floor(ms) || seq !== Math.floor(seq)) return -1;
  if (ms !== prefixBytesMs) {
    prefixBytes = knownAscii(idPrefix(ms));
    prefixBytesMs = ms;
  }
  prefixBytes.put(dst, off, limit);
  if (seq === lastSeq + 1) incrementSeqDigits();
  else setSeqDigits(seq);
  lastSeq = seq;
  const at = off + ENTRY_ID_BYTES - 10;
  dst.setUint32(at, seqView.getUint32(0));
  dst.setUint32(at + 4, seqView.getUint32(4));
  dst.setUint16(at + 8, seqView.getUint16(8));
  return off + ENTRY_ID_BYTES;
}

/** The digits of the next sequence number: the last one's, plus one (integer division per digit cost more). */
function incrementSeqDigits(): void {
  for (let i = 9; i >= 0; i--) {
    const c = seqDigits[i]!;
    if (c === 0x7a) {
      seqDigits[i] = 0x30; // z, then 0 and a carry
      continue;
    }
    seqDigits[i] = c === 0x39 ? 0x61 : c + 1; // 9 then a
    return;
  }
}

function setSeqDigits(seq: number): void {
  // In int32 halves: % and / on numbers past 2^31 are float operations.
  const high = Math.floor(seq / SEQ_LOW);
  putBase36(seq - high * SEQ_LOW, 5);
  putBase36(high, 0);
}

/** `x` (an integer below 36^5) as five base-36 digits (0-9, a-z) at `at` of seqDigits. */
function putBase36(x: number, at: number): void {
  let v = x | 0;
  for (let i = at + 4; i >= at; i--) {
    const q = (v / 36) | 0;
    const d = v - q * 36;
    seqDigits[i] = d < 10 ? 0x30 + d : 0x57 + d; // 0-9, a-z
    v = q;
  }
}

/**
 * The id of a hand-made spill line that has none: stable for the same file and line, so
 * reading the file twice never duplicates; ordered by the entry's own timestamp.
 */
export function derivedEntryId(fileName: string, lineNumber: number, ts: string): string {
  const ms = Date.parse(ts);
  const prefix = Number.isFinite(ms) && ms >= 0 && ms < 1e13 ? String(ms).padStart(13, '0') : '0000000000000';
  return `${prefix}-file:${fileName}:${String(lineNumber).padStart(9, '0')}`;
}
