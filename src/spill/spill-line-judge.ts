// How a spill line is judged (parsed, checked, given its entryId) and whether a file may be
// trusted at all: shared by the streaming reader and the small-file reader.
import { derivedEntryId } from '../entry-id.js';
import { describeIssues, spillLineSchema, type SpillLine } from '../schemas.js';
import { isPlainValidSpillLine } from '../validate.js';
import type { IdentifiedPair } from './spill-writer.js';
import { ownData } from '../json-data.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface JudgeOptions {
  /**
   * A journal segment of a dead writer: a last line cut short (no newline, not JSON) is
   * dropped, zeros from its first NUL byte to its end are space the writer allocated and
   * never wrote, and a NUL with data after it ends what is applied (see journalDataEnd).
   */
  dropTornTail?: boolean;
}

/**
 * Where a dead writer's journal segment stops being applied: its first NUL byte has data
 * after it (a power cut wrote a later page and lost an earlier one). The lines before are
 * applied; the bytes from `from` (the start of the line holding that NUL) to the end are set
 * aside whole, for an operator to salvage.
 */
export interface JournalRest {
  /** File offset of the first byte set aside: just after the last newline before the NUL. */
  from: number;
  /** Its line number (the lines before it were read). */
  line: number;
  /** File offset of the first NUL byte. */
  nul: number;
}

/** Judges one line; the verdict of a bad line names it and why. */
export class LineJudge {
  tornLines = 0;
  constructor(
    private readonly name: string,
    private readonly opts: JudgeOptions,
  ) {}

  /** `terminated`: a newline follows the line (the last line of a file may have none). */
  judge(raw: Uint8Array, lineNo: number, terminated: boolean): IdentifiedPair | null | { reason: string } {
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      if (!terminated && this.opts.dropTornTail) return this.torn();
      return { reason: `line ${lineNo}: not valid UTF-8 text` };
    }
    if (text.trim() === '') return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      if (!terminated && this.opts.dropTornTail) return this.torn();
      return { reason: `line ${lineNo}: ${terminated ? '' : 'truncated or '}not JSON (${(err as Error).message})` };
    }
    if (isPlainValidSpillLine(json)) return this.identified(json, lineNo);
    const r = spillLineSchema.safeParse(ownData(json));
    if (!r.success) return { reason: `line ${lineNo}: ${describeIssues(r.error)}` };
    return this.identified(r.data, lineNo);
  }

  /**
   * The pair of a line already decoded (a chunk's text, cut at its newlines) when it is a
   * plain valid spill line — what nearly every line is; undefined when judge() must give
   * the verdict from the line's bytes (blank, not JSON, a leading BOM, zod's shapes, a bad
   * line). So no verdict differs from judge()'s: only the common case is taken here.
   */
  judgeText(text: string, lineNo: number): IdentifiedPair | undefined {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    return isPlainValidSpillLine(json) ? this.identified(json, lineNo) : undefined;
  }

  private identified(line: SpillLine, lineNo: number): IdentifiedPair {
    const { recordId, entry } = line;
    // The line's id first (the queue writes it there only; older files have it in the entry
    // too), then the entry's, then one derived from the line's place. The entry is this
    // line's own parse, so the id is set in place, not by a copy.
    const entryId = line.entryId ?? entry.entryId ?? derivedEntryId(this.name, lineNo, entry.ts);
    if (entry.entryId !== entryId) entry.entryId = entryId;
    return [recordId, entry];
  }

  /** Read as a dead writer's journal segment (see JudgeOptions). */
  get journal(): boolean {
    return this.opts.dropTornTail === true;
  }

  /** The rest of a journal segment, from the line holding a NUL byte that more data follows: set aside, not read. */
  restFrom(from: number, line: number, nul: number): { rest: JournalRest } {
    return { rest: { from, line, nul } };
  }

  private torn(): null {
    this.tornLines++;
    return null;
  }
}

/** A line's verdict; a journal segment's last verdict may instead be where its rest begins. */
export type Verdict = ReturnType<LineJudge['judge']> | { rest: JournalRest };

export function isBad(v: Verdict): v is { reason: string } {
  return v !== null && !Array.isArray(v) && 'reason' in v;
}

/** The end of what a journal segment applies: every verdict before it was its lines'. */
export function isRest(v: Verdict | { rest: JournalRest }): v is { rest: JournalRest } {
  return v !== null && !Array.isArray(v) && 'rest' in v;
}

/** Another user's file, or one others could have written, may be forged history: never applied. */
export function untrustedBecause(st: { uid: number; mode: number }): string | undefined {
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    return `owned by uid ${st.uid}, not this process (uid ${uid}): never applied; if you trust it, chown it, then: provq spill retry <file>`;
  }
  if (st.mode & 0o022) {
    return `writable by group or others (mode 0${(st.mode & 0o777).toString(8)}): never applied; if you trust it, chmod 600 it, then: provq spill retry <file>`;
  }
  return undefined;
}

const ZEROS = new Uint8Array(64 * 1024);

/** Whether every byte of `bytes` from `from` on is 0. */
export function zerosFrom(bytes: Uint8Array, from: number): boolean {
  for (let at = from; at < bytes.length; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, bytes.length - at);
    if (Buffer.compare(bytes.subarray(at, at + n), ZEROS.subarray(0, n)) !== 0) return false;
  }
  return true;
}

/**
 * Where a journal segment's written data ends. A mapped segment is allocated whole before
 * its first line and filled by copies, so a writer that died leaves zeros after its last
 * line: from the first NUL byte on, every byte 0 is that unwritten space (no line a writer
 * makes holds a NUL byte: JSON escapes it). `end`: the offset of that NUL (the length when
 * there is none). `nulInside`: a NUL with more data after it, which no process crash
 * leaves, but a power cut can (pages written back out of order); `end` is then the start
 * of the line holding it, where the rest set aside begins (JournalRest).
 */
export function journalDataEnd(bytes: Uint8Array): { end: number; nulInside?: number } {
  const z = bytes.indexOf(0);
  if (z === -1) return { end: bytes.length };
  if (zerosFrom(bytes, z)) return { end: z };
  return { end: bytes.lastIndexOf(0x0a, z) + 1, nulInside: z };
}

/**
 * Bytes decoded at once (then cut into lines at a newline past this): one decode a chunk
 * instead of one per line, and no Buffer view per line.
 */
const DECODE_CHUNK_BYTES = 64 * 1024;

/**
 * The verdicts on the lines of a whole file's bytes, in order (a line the judge skips is
 * null). Lines are cut from a chunk's decoded text; a line that is not a plain valid spill
 * line, and every line of a chunk that is not valid UTF-8, is judged from its own bytes,
 * so every verdict is judge()'s. (Cutting valid UTF-8 at a newline byte leaves valid
 * UTF-8 on each side, and each line's text re-encodes to the line's bytes; the decoder
 * drops a BOM only at the chunk's start, a line's start, as judge()'s decoder does.)
 */
export function* judgedLinesOf(bytes: Uint8Array, judge: LineJudge): Generator<Verdict> {
  const data = judge.journal ? journalDataEnd(bytes) : undefined;
  const nextLineNo = yield* judgedLines(data ? bytes.subarray(0, data.end) : bytes, judge);
  if (data?.nulInside !== undefined) yield judge.restFrom(data.end, nextLineNo, data.nulInside);
}

/** judgedLinesOf's lines; returns the number the next line would have. */
function* judgedLines(bytes: Uint8Array, judge: LineJudge): Generator<ReturnType<LineJudge['judge']>, number> {
  let lineNo = 1;
  for (let start = 0; start < bytes.length; ) {
    const cut = bytes.indexOf(0x0a, Math.min(start + DECODE_CHUNK_BYTES, bytes.length - 1));
    const end = cut === -1 ? bytes.length : cut + 1;
    const chunk = bytes.subarray(start, end);
    start = end;
    let text: string;
    try {
      text = utf8.decode(chunk);
    } catch {
      for (const v of judgedLinesOfBytes(chunk, judge, lineNo)) {
        lineNo++;
        yield v;
      }
      continue;
    }
    const raw = new LineBytes(chunk);
    for (let from = 0, k = 0; from < text.length; lineNo++, k++) {
      const nl = text.indexOf('\n', from);
      const pair = judge.judgeText(text.slice(from, nl === -1 ? text.length : nl), lineNo);
      from = nl === -1 ? text.length : nl + 1;
      yield pair ?? judge.judge(raw.line(k), lineNo, nl !== -1);
    }
  }
  return lineNo;
}

/** The bytes of a chunk's lines, asked for in increasing order (only lines judged from their bytes). */
class LineBytes {
  private next = 0;
  private at = 0;
  constructor(private readonly chunk: Uint8Array) {}

  line(k: number): Uint8Array {
    for (; this.next < k; this.next++) this.at = this.chunk.indexOf(0x0a, this.at) + 1;
    const nl = this.chunk.indexOf(0x0a, this.at);
    return this.chunk.subarray(this.at, nl === -1 ? this.chunk.length : nl);
  }
}

/** judgedLinesOf's verdicts line by line from the bytes, numbered from `firstLineNo`. */
function* judgedLinesOfBytes(bytes: Uint8Array, judge: LineJudge, firstLineNo: number): Generator<ReturnType<LineJudge['judge']>> {
  let start = 0;
  for (let lineNo = firstLineNo; start <= bytes.length; lineNo++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    if (nl === -1 && end === start) return; // nothing after the last newline
    yield judge.judge(bytes.subarray(start, end), lineNo, nl !== -1);
    start = end + 1;
  }
}
