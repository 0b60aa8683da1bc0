// Reads spill files line by line, with bounded memory whatever the file's size: a first
// pass validates every line (a file is imported exactly or quarantined whole, never half),
// a second pass hands the pairs over in chunks. Only one line, at most MAX_SPILL_LINE_BYTES,
// is held at a time beyond the chunk being written.
import type { FileHandle } from 'node:fs/promises';
import fse from 'fs-extra';
import { SpillFileChangedError } from '../errors.js';
import { MAX_SPILL_LINE_BYTES } from '../schemas.js';
import { LoopSlices } from '../loop-slices.js';
import { isBad, isRest, judgedLinesOf, LineJudge, untrustedBecause, zerosFrom, type JournalRest, type Verdict } from './spill-line-judge.js';
import { fileVersion } from './file-version.js';
import { contentOf, OPEN_SPILL_FILE, parseSpillBytes, readWholeSmallFile, refusedOpen, SYNC_READ_MAX_BYTES } from './small-spill-file.js';
import type { IdentifiedPair } from './spill-writer.js';

export { MAX_SPILL_LINE_BYTES };

export type { JournalRest };

export type SpillFileContent =
  /**
   * `tornLines`: a cut last line of a journal segment, dropped (never acknowledged).
   * `rest`: a journal segment with data after zeros: `pairs` are the lines before; the rest is set aside.
   * `version`: the file as it was read (file-version.ts): it is deleted only if it is still that one.
   */
  | { kind: 'pairs'; pairs: IdentifiedPair[]; tornLines?: number; rest?: JournalRest; version?: string }
  /** No pair; `tornLines`: a journal segment whose writer died in its first write; `rest`: as above. */
  | { kind: 'empty'; tornLines?: number; rest?: JournalRest }
  | { kind: 'malformed'; reason: string }
  | { kind: 'not-a-file'; reason: string }
  /** Another user's, or writable by others: quarantined, never applied. */
  | { kind: 'untrusted'; reason: string }
  | { kind: 'gone' };

/** What the validating pass found: like SpillFileContent, with a count instead of the pairs. */
export type SpillFileScan =
  | { kind: 'pairs'; pairs: number; tornLines?: number; rest?: JournalRest; version: string }
  /** `version` with a rest to set aside: the file it was found in. */
  | { kind: 'empty'; tornLines?: number; rest?: JournalRest; version?: string }
  | Exclude<SpillFileContent, { kind: 'pairs' | 'empty' }>;

/** The most read from a file at once; a small file gets a buffer of its own size. */
const READ_BYTES = 1024 * 1024;
const MIN_READ_BYTES = 4096;
/** readSmallSpillFile bounded to this or less reads a file whole into memory (unbounded: streamed). */
const WHOLE_READ_MAX_BYTES = 16 * 1024 * 1024;

export interface ReadOptions {
  /** A journal segment of a dead writer: a last line cut short (no newline, not JSON) is dropped. */
  dropTornTail?: boolean;
  /** Milliseconds of parsing between yields to the event loop (default LOOP_SLICE_MS). */
  sliceMs?: number;
}


/**
 * Every line of an open file, in order, each judged; stops at a line over the limit. The
 * work is cut into slices (LoopSlices): a file of thousands of lines never holds the event
 * loop for more than a few milliseconds at a time.
 */
async function* judgedLines(fh: FileHandle, size: number, judge: LineJudge, sliceMs?: number): AsyncGenerator<Verdict> {
  // Sized to the file (plus a byte, to see its end in one read): a 4 KiB file does not
  // cost a 1 MiB buffer. Only bytes read are ever looked at, so it need not be zeroed.
  const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(MIN_READ_BYTES, size + 1)));
  const slices = new LoopSlices(sliceMs);
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let lineNo = 1;
  let total = 0;
  /** A journal segment's first NUL byte (journalDataEnd): zeros to the end, or where its rest begins. */
  let nulAt = -1;
  /** The rest from the line holding that NUL is set aside once the lines before it are judged. */
  let restAhead = false;
  for (let atEnd = false; !atEnd; ) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    // A short read of a regular file that reached the size fstat gave is its end: no read for the EOF.
    atEnd = bytesRead < buf.length && total >= size;
    let data = buf.subarray(0, bytesRead); // never search past what was read
    if (nulAt >= 0 || judge.journal) {
      const z = nulAt >= 0 ? 0 : data.indexOf(0);
      if (z >= 0) {
        if (nulAt < 0) nulAt = total - bytesRead + z;
        // Data after the zeros: the line holding the NUL and everything after it is the rest.
        restAhead = !zerosFrom(data, z);
        if (nulAt < total - bytesRead) {
          if (!restAhead) continue; // still in the zeros: read on to the end
          yield judge.restFrom(nulAt - partialBytes, lineNo, nulAt);
          return;
        }
        data = data.subarray(0, z); // the lines before the zeros, then only zeros are read
      }
    }
    const dataEnd = data.length;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      const end = nl === -1 ? dataEnd : nl;
      const piece = data.subarray(start, end);
      if (partialBytes + piece.length > MAX_SPILL_LINE_BYTES) {
        yield { reason: `line ${lineNo} is longer than ${MAX_SPILL_LINE_BYTES} bytes; split it or remove it` };
        return;
      }
      if (end === dataEnd) {
        if (piece.length > 0) {
          partial.push(Buffer.from(piece)); // buf is reused: copy what stays
          partialBytes += piece.length;
        }
        break;
      }
      const raw = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
      partial = [];
      partialBytes = 0;
      yield judge.judge(raw, lineNo++, true);
      start = end + 1;
      if (slices.due()) await slices.yieldNow(); // buf is not read into again before we come back
    }
    if (restAhead) {
      // The piece before the NUL is no torn last line: data follows. It starts the rest.
      yield judge.restFrom(nulAt - partialBytes, lineNo, nulAt);
      return;
    }
  }
  if (partialBytes > 0) yield judge.judge(Buffer.concat(partial), lineNo, false);
}

type Opened = { fh: FileHandle; size: number; version: string } | Exclude<SpillFileContent, { kind: 'pairs' | 'empty' | 'malformed' }>;

async function openSpillFile(path: string): Promise<Opened> {
  let fh: FileHandle;
  try {
    fh = await fse.promises.open(path, OPEN_SPILL_FILE);
  } catch (err) {
    return refusedOpen(err);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    return { kind: 'not-a-file', reason: 'is not a regular file' };
  }
  const untrusted = untrustedBecause(st);
  if (untrusted) {
    await fh.close();
    return { kind: 'untrusted', reason: untrusted };
  }
  return { fh, size: st.size, version: fileVersion(st) };
}

/** The validating pass: every line checked, nothing kept but a count. */
export async function scanSpillFile(path: string, name: string, opts: ReadOptions = {}): Promise<SpillFileScan> {
  const opened = await openSpillFile(path);
  if (!('fh' in opened)) return opened;
  const judge = new LineJudge(name, opts);
  let pairs = 0;
  let rest: JournalRest | undefined;
  try {
    for await (const v of judgedLines(opened.fh, opened.size, judge, opts.sliceMs)) {
      if (isBad(v)) return { kind: 'malformed', reason: v.reason };
      if (isRest(v)) rest = v.rest;
      else if (v) pairs++;
    }
  } finally {
    await opened.fh.close();
  }
  const extra = { ...(judge.tornLines > 0 ? { tornLines: judge.tornLines } : {}), ...(rest ? { rest } : {}) };
  if (pairs === 0) return rest ? { kind: 'empty', ...extra, version: opened.version } : { kind: 'empty', ...extra };
  return { kind: 'pairs', pairs, ...extra, version: opened.version };
}

/**
 * The second pass: the pairs of a file scanSpillFile found valid, `chunkPairs` at a time.
 * Not cut into slices: each chunk waits for its sink call, which already paces the parsing,
 * and a chunk handed over right after a setImmediate would put its pairs in lmdb's check
 * phase, leaving lmdb's write batch open across the next timers (see docs/performance.md).
 * Throws when the file changed since the scan (`version`): it is read again later.
 */
export async function* readSpillChunks(path: string, name: string, chunkPairs: number, version: string, opts: ReadOptions = {}): AsyncGenerator<IdentifiedPair[]> {
  const opened = await openSpillFile(path);
  if (!('fh' in opened) || opened.version !== version) {
    if ('fh' in opened) await opened.fh.close();
    throw new SpillFileChangedError(`spill file ${name} changed while it was being read back; it is read again`);
  }
  const judge = new LineJudge(name, opts);
  let chunk: IdentifiedPair[] = [];
  try {
    for await (const v of judgedLines(opened.fh, opened.size, judge, Infinity)) {
      if (isBad(v)) throw new SpillFileChangedError(`spill file ${name} changed while it was being read back (${v.reason}); it is read again`);
      if (!v || isRest(v)) continue; // the rest is set aside by the caller, from the scan
      chunk.push(v);
      if (chunk.length >= chunkPairs) {
        yield chunk;
        chunk = [];
      }
    }
  } finally {
    await opened.fh.close();
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * The whole file at once, in one pass (merged read-back, the CLI): for files the queue's
 * caps keep small. The first bad line makes it malformed and nothing of it is returned.
 */
export async function readSpillFile(path: string, name: string, opts: ReadOptions = {}): Promise<SpillFileContent> {
  return (await readSmallSpillFile(path, name, Infinity, opts)) as SpillFileContent;
}

/**
 * {@link readSpillFile} for a file of at most `maxBytes`; a larger one is not read: `too-large`.
 * A file of up to SYNC_READ_MAX_BYTES is read with synchronous calls (small-spill-file.ts).
 */
export async function readSmallSpillFile(path: string, name: string, maxBytes: number, opts: ReadOptions = {}): Promise<SpillFileContent | { kind: 'too-large' }> {
  const whole = readWholeSmallFile(path, Math.min(maxBytes, SYNC_READ_MAX_BYTES));
  if (whole.kind === 'bytes') return withVersion(await parseSpillBytes(whole.bytes, name, opts), whole.version);
  if (whole.kind !== 'large') return whole;
  const opened = await openSpillFile(path);
  if (!('fh' in opened)) return opened;
  const judge = new LineJudge(name, opts);
  const pairs: IdentifiedPair[] = [];
  let rest: JournalRest | undefined;
  try {
    if (opened.size > maxBytes) return { kind: 'too-large' };
    // Within a bound the caller set (merged read-back's 4 MiB), read whole and parsed from
    // memory: lines cut from decoded chunks, not handed through the stream's async generator
    // one at a time (half the CPU a line; an overload's 16,384-pair files take this path).
    const bytes = maxBytes <= WHOLE_READ_MAX_BYTES ? await readWhole(opened.fh, opened.size) : null;
    if (bytes) return withVersion(await parseSpillBytes(bytes, name, opts), opened.version);
    for await (const v of judgedLines(opened.fh, opened.size, judge, opts.sliceMs)) {
      if (isBad(v)) return { kind: 'malformed', reason: v.reason };
      if (isRest(v)) rest = v.rest;
      else if (v) pairs.push(v);
    }
  } finally {
    await opened.fh.close();
  }
  return withVersion(contentOf(pairs, judge, rest), opened.version);
}

/** Pairs read from the file as it was at `version`. */
function withVersion(content: SpillFileContent, version: string): SpillFileContent {
  return content.kind === 'pairs' ? { ...content, version } : content;
}

/**
 * The file's bytes, read with positional reads (the file position stays at 0 for the
 * stream); null when it holds more than `size` bytes now (it grew since fstat): streamed.
 */
async function readWhole(fh: FileHandle, size: number): Promise<Buffer | null> {
  const buf = Buffer.allocUnsafe(size + 1); // a byte more, to see the end in the same read
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n > size ? null : buf.subarray(0, n);
}

/** Parses and validates text in memory (a recovered temp file); the first bad line makes it malformed. */
export function parseSpillText(bytes: Uint8Array, name: string, opts: ReadOptions = {}): SpillFileContent {
  const judge = new LineJudge(name, opts);
  const pairs: IdentifiedPair[] = [];
  let rest: JournalRest | undefined;
  for (const v of judgedLinesOf(bytes, judge)) {
    if (isBad(v)) return { kind: 'malformed', reason: v.reason };
    if (isRest(v)) rest = v.rest;
    else if (v) pairs.push(v);
  }
  return contentOf(pairs, judge, rest);
}
