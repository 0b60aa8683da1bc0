// Reads one spill file whole and validates every line before anything is applied:
// a file is either imported exactly or quarantined whole, never half.
import fse from 'fs-extra';
import { derivedEntryId } from '../entry-id.js';
import { describeIssues, spillLineSchema, type SpillLine } from '../schemas.js';
import { isPlainValidSpillLine } from '../validate.js';
import type { IdentifiedPair } from './spill-writer.js';

/** Larger files are quarantined with a reason rather than read into memory. */
export const MAX_SPILL_FILE_BYTES = 256 * 1024 * 1024;

export type SpillFileContent =
  /** `tornLines`: a cut last line of a journal segment, dropped (never acknowledged). */
  | { kind: 'pairs'; pairs: IdentifiedPair[]; tornLines?: number }
  | { kind: 'empty' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'not-a-file'; reason: string }
  | { kind: 'gone' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ReadOptions {
  /** A journal segment of a dead writer: a last line cut short (no newline, not JSON) is dropped. */
  dropTornTail?: boolean;
}

export async function readSpillFile(path: string, name: string, opts: ReadOptions = {}): Promise<SpillFileContent> {
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink planted as *.jsonl is never followed.
    fd = await fse.open(path, fse.constants.O_RDONLY | fse.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    if (code === 'ELOOP') return { kind: 'not-a-file', reason: 'is a symlink (never followed)' };
    if (code === 'EISDIR') return { kind: 'not-a-file', reason: 'is a directory' };
    throw err;
  }
  let bytes: Buffer;
  try {
    const st = await fse.fstat(fd);
    if (!st.isFile()) return { kind: 'not-a-file', reason: 'is not a regular file' };
    if (st.size > MAX_SPILL_FILE_BYTES) {
      return { kind: 'malformed', reason: `file is ${st.size} bytes, over the ${MAX_SPILL_FILE_BYTES}-byte limit; split it into smaller *.jsonl files` };
    }
    bytes = await fse.readFile(fd);
  } finally {
    await fse.close(fd);
  }
  return parseSpillText(bytes, name, opts);
}

/** Parses and validates a whole file; the first bad line makes the whole file malformed. */
export function parseSpillText(bytes: Uint8Array, name: string, opts: ReadOptions = {}): SpillFileContent {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'malformed', reason: 'not valid UTF-8 text' };
  }
  const lines = text.split('\n');
  const pairs: IdentifiedPair[] = [];
  let tornLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const lineNo = i + 1;
    const last = i === lines.length - 1; // no newline after it
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      if (last && opts.dropTornTail) {
        tornLines++;
        continue;
      }
      return { kind: 'malformed', reason: `line ${lineNo}: ${last ? 'truncated or ' : ''}not JSON (${(err as Error).message})` };
    }
    let line: SpillLine;
    if (isPlainValidSpillLine(json)) line = json;
    else {
      const r = spillLineSchema.safeParse(json);
      if (!r.success) return { kind: 'malformed', reason: `line ${lineNo}: ${describeIssues(r.error)}` };
      line = r.data;
    }
    const { recordId, entry } = line;
    const entryId = line.entryId ?? entry.entryId ?? derivedEntryId(name, lineNo, entry.ts);
    pairs.push([recordId, entry.entryId === entryId ? entry : { ...entry, entryId }]);
  }
  if (pairs.length === 0) return { kind: 'empty' };
  return tornLines > 0 ? { kind: 'pairs', pairs, tornLines } : { kind: 'pairs', pairs };
}
