// A small spill file read whole: opened, checked, read and closed with synchronous calls,
// then its lines judged in slices of the event loop. A down sink's backlog is thousands of
// files of a few KiB; through fs/promises each of those four calls was a round trip through
// libuv's four-thread pool (a FileHandle, a promise and a wake-up each: about 0.2 ms of CPU
// a file under load), where the calls themselves take microseconds on a file this size.
// Larger files are streamed by spill-reader.ts.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LoopSlices } from '../loop-slices.js';
import { fileVersion } from './file-version.js';
import { isBad, isRest, judgedLinesOf, LineJudge, untrustedBecause, type JournalRest } from './spill-line-judge.js';
import type { SpillFileContent } from './spill-reader.js';
import type { IdentifiedPair } from './spill-writer.js';

/** Files up to this size are read with synchronous calls (about 0.1 ms from the page cache). */
export const SYNC_READ_MAX_BYTES = 256 * 1024;

export type WholeSmallFile =
  /** `version`: the file as it was read (file-version.ts). */
  | { kind: 'bytes'; bytes: Buffer; version: string }
  /** Over the size, or grown since it was opened: stream it instead. */
  | { kind: 'large' }
  | Extract<SpillFileContent, { kind: 'gone' | 'not-a-file' | 'untrusted' }>;

/**
 * How every reader opens a spill file. O_NOFOLLOW: a symlink planted as *.jsonl is never
 * followed; O_NONBLOCK: a FIFO does not hold the open waiting for a writer (fstat then
 * refuses it).
 */
export const OPEN_SPILL_FILE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What a failed open of a spill file means: gone, or not a file to read; any other error is thrown back (retried later). */
export function refusedOpen(err: unknown): Extract<SpillFileContent, { kind: 'gone' | 'not-a-file' }> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'gone' };
  if (code === 'ELOOP') return { kind: 'not-a-file', reason: 'is a symlink (never followed)' };
  if (code === 'EISDIR') return { kind: 'not-a-file', reason: 'is a directory' };
  throw err;
}

/**
 * The bytes of a regular file this user owns and only this user may write, if it holds at
 * most `maxBytes` (opened with OPEN_SPILL_FILE: a FIFO swapped in after the listing cannot
 * hold the event loop in `open`; fstat then finds it is not a regular file).
 */
export function readWholeSmallFile(path: string, maxBytes: number): WholeSmallFile {
  let fd: number;
  try {
    fd = openSync(path, OPEN_SPILL_FILE);
  } catch (err) {
    return refusedOpen(err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'not-a-file', reason: 'is not a regular file' };
    const untrusted = untrustedBecause(st);
    if (untrusted) return { kind: 'untrusted', reason: untrusted };
    if (st.size > maxBytes) return { kind: 'large' };
    // One byte more than fstat gave, to see the end in the same read.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return n > st.size ? { kind: 'large' } : { kind: 'bytes', bytes: buf.subarray(0, n), version: fileVersion(st) };
  } finally {
    closeSync(fd);
  }
}

/**
 * The pairs of a whole file's bytes, judged line by line as the streaming reader does
 * (the first bad line makes it malformed), yielding to the loop every `sliceMs`.
 */
export async function parseSpillBytes(bytes: Buffer, name: string, opts: { dropTornTail?: boolean; sliceMs?: number } = {}): Promise<SpillFileContent> {
  const judge = new LineJudge(name, opts);
  const slices = new LoopSlices(opts.sliceMs);
  const pairs: IdentifiedPair[] = [];
  let rest: JournalRest | undefined;
  for (const v of judgedLinesOf(bytes, judge)) {
    if (isBad(v)) return { kind: 'malformed', reason: v.reason };
    if (isRest(v)) rest = v.rest;
    else if (v) pairs.push(v);
    if (slices.due()) await slices.yieldNow(); // the bytes are this call's own: nothing reuses them meanwhile
  }
  return contentOf(pairs, judge, rest);
}

/**
 * What a read found, with the count of a torn last line (it is counted where it is dropped)
 * and a journal segment's rest to set aside, each only when there is one.
 */
export function contentOf(pairs: IdentifiedPair[], judge: LineJudge, rest: JournalRest | undefined): SpillFileContent {
  const extra = { ...(judge.tornLines > 0 ? { tornLines: judge.tornLines } : {}), ...(rest ? { rest } : {}) };
  return pairs.length === 0 ? { kind: 'empty', ...extra } : { kind: 'pairs', pairs, ...extra };
}
