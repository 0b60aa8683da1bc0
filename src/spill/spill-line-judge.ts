// How a spill line is judged (parsed, checked, given its entryId) and whether a file may be
// trusted at all: shared by the streaming reader and the small-file reader.
import { derivedEntryId } from '../entry-id.js';
import { describeIssues, spillLineSchema, type SpillLine } from '../schemas.js';
import { isPlainValidSpillLine } from '../validate.js';
import type { IdentifiedPair } from './spill-writer.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface JudgeOptions {
  /** A journal segment of a dead writer: a last line cut short (no newline, not JSON) is dropped. */
  dropTornTail?: boolean;
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
    let line: SpillLine;
    if (isPlainValidSpillLine(json)) line = json;
    else {
      const r = spillLineSchema.safeParse(json);
      if (!r.success) return { reason: `line ${lineNo}: ${describeIssues(r.error)}` };
      line = r.data;
    }
    const { recordId, entry } = line;
    // The line's id first (the queue writes it there only; older files have it in the entry
    // too), then the entry's, then one derived from the line's place. The entry is this
    // line's own parse, so the id is set in place, not by a copy.
    const entryId = line.entryId ?? entry.entryId ?? derivedEntryId(this.name, lineNo, entry.ts);
    if (entry.entryId !== entryId) entry.entryId = entryId;
    return [recordId, entry];
  }

  private torn(): null {
    this.tornLines++;
    return null;
  }
}

export type Verdict = ReturnType<LineJudge['judge']>;

export function isBad(v: Verdict): v is { reason: string } {
  return v !== null && !Array.isArray(v);
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

/** The verdicts on the lines of a whole file's bytes, in order (a line the judge skips is null). */
export function* judgedLinesOf(bytes: Uint8Array, judge: LineJudge): Generator<Verdict> {
  let start = 0;
  for (let lineNo = 1; start <= bytes.length; lineNo++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    if (nl === -1 && end === start) return; // nothing after the last newline
    yield judge.judge(bytes.subarray(start, end), lineNo, nl !== -1);
    start = end + 1;
  }
}
