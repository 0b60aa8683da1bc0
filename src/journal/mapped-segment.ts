// A journal segment written through a shared memory map: the file is allocated whole first
// (a copy into a page the filesystem cannot back would be a SIGBUS that ends the process;
// allocated up front, a full disk is an ENOSPC here instead), then mapped MAP_SHARED, so a
// copy into it is in the page cache when it returns — what a write(2) gives, without a
// system call. fdatasync of the file writes the mapped pages, so fsyncMs and the handling
// of failed fsyncs are the same for both. Closed cleanly, the mapping is unmapped and the
// file cut to the bytes written; a writer that dies leaves zeros after its last line, which
// the readers take for unwritten space (spill-line-judge.ts, journalDataEnd).
import { ftruncateSync, writeSync } from 'node:fs';
import type { JournalMap, MapHandle } from './journal-map.js';
import { MAX_SPILL_FILE_PAIRS } from '../spill/spill-writer.js';

/**
 * Pages are made present and writable ahead of the copies (JournalMap.populate), off the
 * caller's turn: the first copy into a page of a shared file mapping faults (the kernel
 * marks the page dirty; with page-table isolation and no PCID a fault flushes the TLB as a
 * system call does), and a hypervisor shadowing the page tables maps it on its first touch
 * from user space (15–40 µs a page on this project's VM; a copy into a touched page takes
 * about 0.1 µs). This far ahead, from a setImmediate once less than half of it is left.
 */
export const TOUCH_AHEAD_BYTES = 64 * 1024;
/**
 * Touched per setImmediate: two pages (a page's first touch took 15–40 µs here, up to ~250 µs
 * while the filesystem's journal commits). A window touched whole held a busy loop's turn
 * for ~0.2 ms, once every ~28 recalls of row 3 — a stall its p99 saw.
 */
export const TOUCH_STEP_BYTES = 8 * 1024;
/** Touched when the segment is made for a turn that is copied in, before that copy (the first setImmediate comes after it). */
export const FIRST_TOUCH_BYTES = 16 * 1024;
/**
 * A write larger than this goes in with pwrite at the segment's offset (one system call
 * for many lines, no page touched from user space): a copy pays for its pages' first touch,
 * which outweighs the system call past a few KiB.
 */
export const COPY_MAX_BYTES = 16 * 1024;

export interface MappedSpace {
  readonly map: JournalMap;
  readonly handle: MapHandle;
  /** The file's allocated length, all of it mapped. */
  readonly capacity: number;
  /** Bytes below this were populated (present and writable when it was done). */
  populatedTo: number;
}

/**
 * Allocates `bytes` of the new, empty file `fd` and maps them; throws what the system says
 * (ENOSPC, EDQUOT, ENOMEM), with the file cut back to empty, so the segment can be written
 * with write(2) instead. `touchFirst`: its first pages are touched now, for a copy about to
 * come (a segment opened by a turn written with pwrite leaves them to the first copy's touch-ahead).
 */
export function mapSegmentFile(map: JournalMap, fd: number, bytes: number, touchFirst = true): MappedSpace {
  let m: MappedSpace | null = null;
  try {
    map.allocate(fd, bytes);
    m = { map, handle: map.map(fd, bytes), capacity: bytes, populatedTo: 0 };
    if (touchFirst) touchAhead(m, 0, FIRST_TOUCH_BYTES); // a page that cannot be backed says so here
    return m;
  } catch (err) {
    if (m) map.unmap(m.handle);
    try {
      ftruncateSync(fd, 0); // a partial allocation let go; write(2) starts at offset 0 either way
    } catch {
      // zeros after what write(2) writes are read as unwritten space
    }
    throw err;
  }
}

/**
 * Puts `bytes` at offset `at` of the segment (file descriptor `fd`): copied into the
 * mapping (returns true), or written with pwrite past COPY_MAX_BYTES (false). Throws what
 * fails (EIO from a copy into a page that cannot be backed); a write cut short leaves a torn
 * line, then zeros.
 */
export function writeIntoSegment(m: MappedSpace, fd: number, at: number, bytes: Uint8Array): boolean {
  if (bytes.length <= COPY_MAX_BYTES) {
    m.map.copy(m.handle, at, bytes);
    return true;
  }
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, at + off);
  return false;
}

/**
 * Whether the touched pages ahead of `at` are running out (less than half of TOUCH_AHEAD_BYTES
 * left). Asked after copies only: a turn written with pwrite touches no page from user space,
 * and touching pages a later pwrite fills was pure cost (row 12: 122 touches, 6.2 MB, before).
 */
export function wantsTouch(m: MappedSpace, at: number): boolean {
  return m.populatedTo < m.capacity && m.populatedTo - at < TOUCH_AHEAD_BYTES / 2;
}

/** Makes the pages up to `bytes` past `at` present and writable (JournalMap.populate); throws EIO for a page that cannot be backed. */
export function touchAhead(m: MappedSpace, at: number, bytes = TOUCH_AHEAD_BYTES): void {
  const from = Math.max(at, m.populatedTo);
  const to = Math.min(m.capacity, at + bytes);
  if (to <= from) return;
  m.map.populate(m.handle, from, to);
  m.populatedTo = to;
}

/**
 * One step of touch-ahead: the next TOUCH_STEP_BYTES after what is touched, within
 * TOUCH_AHEAD_BYTES of `at`. True while the window is not touched whole (another step wanted).
 */
export function touchStep(m: MappedSpace, at: number): boolean {
  const from = Math.max(at, m.populatedTo);
  const end = Math.min(m.capacity, at + TOUCH_AHEAD_BYTES);
  if (from >= end) return false;
  touchAhead(m, from, Math.min(TOUCH_STEP_BYTES, end - from));
  return m.populatedTo < end;
}

/** Unmaps, then (when `usedBytes` is given) cuts the file to the bytes written; never throws (a zero tail left behind is read as unwritten). */
export function unmapSegment(m: MappedSpace, fd: number | null, usedBytes: number | null): void {
  try {
    m.map.unmap(m.handle);
  } catch {
    // munmap fails only for a bad range; the handle's finalizer unmaps it otherwise
  }
  if (fd === null || usedBytes === null) return;
  try {
    ftruncateSync(fd, usedBytes);
  } catch {
    // the zero tail stays: readers take it for unwritten space
  }
}

/**
 * What a mapped segment allocates: segmentBytes, or one turn larger than that — but no more
 * than a segment's MAX_SPILL_FILE_PAIRS take at this turn's bytes a pair, with a quarter
 * more. Lines of about 130 bytes fill 16,384 pairs at ~2.2 MB: an 8 MiB allocation was
 * mostly cut off again at rotation (an ftruncate freeing ~6 MB of blocks, ~1.4 ms each, 31
 * a row-12 run). A segment whose lines come out longer fills its allocation first and
 * rotates there, as any mapped segment does.
 */
export function mappedSegmentBytes(segmentBytes: number, bytes: number, pairs: number): number {
  const page = 4096;
  const byPairs = pairs > 0 ? Math.ceil(((bytes / pairs) * MAX_SPILL_FILE_PAIRS * 1.25) / page) * page : segmentBytes;
  return Math.max(bytes, Math.min(segmentBytes, byPairs));
}
