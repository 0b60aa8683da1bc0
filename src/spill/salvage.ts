// `provq spill retry --salvage`: the valid lines of a quarantined file go back in line; the
// bad ones stay quarantined. Ids of lines without one derive from the ORIGINAL file name and
// line number, and the bad lines keep their line numbers (blank lines stand in for the
// salvaged ones), so salvaging twice, or fixing and retrying the rest later, adds nothing twice.
import { basename, dirname, join } from 'node:path';
import fse from 'fs-extra';
import { derivedEntryId } from '../entry-id.js';
import { isJournalSegmentName, JOURNAL_TAG } from '../journal/journal-names.js';
import { describeIssues, spillLineSchema } from '../schemas.js';
import { OPEN_SPILL_FILE, refusedOpen } from './small-spill-file.js';
import { untrustedBecause } from './spill-line-judge.js';
import { originalNameOf, reasonFileFor } from './spill-file-name.js';
import { replaceFileDurably, SpillWriter, type IdentifiedPair } from './spill-writer.js';
import type { QuarantineReason } from './quarantine.js';
import { ownData } from '../json-data.js';

export interface SpillLineVerdicts {
  good: { line: number; pair: IdentifiedPair }[];
  /** `raw` is the line's bytes exactly as they were (they may not even be UTF-8). */
  bad: { line: number; raw: Buffer; reason: string }[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The line-by-line twin of `parseSpillText`: each line is judged on its own. */
export function parseSpillLines(bytes: Buffer, name: string): SpillLineVerdicts {
  const verdicts: SpillLineVerdicts = { good: [], bad: [] };
  let start = 0;
  for (let lineNo = 1; start <= bytes.length; lineNo++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const raw = bytes.subarray(start, end);
    start = end + 1;
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      verdicts.bad.push({ line: lineNo, raw, reason: `line ${lineNo}: not valid UTF-8 text` });
      continue;
    }
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      verdicts.bad.push({ line: lineNo, raw, reason: `line ${lineNo}: not JSON (${(err as Error).message})` });
      continue;
    }
    const r = spillLineSchema.safeParse(ownData(json));
    if (!r.success) {
      verdicts.bad.push({ line: lineNo, raw, reason: `line ${lineNo}: ${describeIssues(r.error)}` });
      continue;
    }
    const { recordId, entry } = r.data;
    const entryId = r.data.entryId ?? entry.entryId ?? derivedEntryId(name, lineNo, entry.ts);
    verdicts.good.push({ line: lineNo, pair: [recordId, { ...entry, entryId }] });
  }
  return verdicts;
}

export interface SalvageResult {
  /** New pending spill files holding the valid lines (more than one only for huge files). */
  salvagedFiles: string[];
  goodLines: number;
  badLines: { line: number; reason: string }[];
  /** The quarantined file, now holding only the bad lines; null when none were left (removed). */
  remainder: string | null;
}

/**
 * Why a file's lines may not be salvaged (the reasons the queue and a plain retry give): not
 * a regular file (a symlink is not followed, a FIFO not waited on), gone, or untrusted —
 * another user's, or writable by others, may be forged history, and salvage must not launder it.
 */
export type SalvageRefused = { refused: string };

export async function salvageQuarantinedFile(path: string): Promise<SalvageResult | SalvageRefused> {
  const dir = dirname(path);
  const quarantined = basename(path);
  const original = originalNameOf(quarantined);
  const bytes = await readTrusted(path);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const { good, bad } = parseSpillLines(bytes, original);
  // Valid lines first, durably: a crash before the rewrite below only means salvaging again,
  // which writes the same ids (no duplicates).
  const salvagedFiles = await writeSalvagedPairs(dir, good.map((g) => g.pair), isJournalSegmentName(original));
  const result: SalvageResult = {
    salvagedFiles,
    goodLines: good.length,
    badLines: bad.map(({ line, reason }) => ({ line, reason })),
    remainder: null,
  };
  if (bad.length === 0) {
    await fse.rm(path, { force: true });
    await fse.rm(join(dir, reasonFileFor(quarantined)), { force: true });
    return result;
  }
  await replaceDurably(dir, quarantined, keepLineNumbers(bad));
  const reason: QuarantineReason = {
    file: original,
    quarantinedAs: quarantined,
    reason: `${bad.map((b) => b.reason).join('; ')}${good.length ? ` (${good.length} valid lines salvaged into ${salvagedFiles.join(', ')})` : ''}`,
    at: new Date().toISOString(),
  };
  await replaceDurably(dir, reasonFileFor(quarantined), `${JSON.stringify(reason, null, 2)}\n`);
  result.remainder = quarantined;
  return result;
}

/** The file's bytes, read through one descriptor that was checked as a trusted regular file. */
async function readTrusted(path: string): Promise<Buffer | SalvageRefused> {
  let fh: fse.promises.FileHandle;
  try {
    fh = await fse.promises.open(path, OPEN_SPILL_FILE);
  } catch (err) {
    const r = refusedOpen(err);
    return { refused: r.kind === 'gone' ? 'no such file' : r.reason };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { refused: 'is not a regular file' };
    const untrusted = untrustedBecause(st);
    if (untrusted) return { refused: untrusted };
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

async function writeSalvagedPairs(dir: string, pairs: IdentifiedPair[], journal: boolean): Promise<string[]> {
  if (pairs.length === 0) return [];
  // The queue's own writer: files capped by bytes and pairs, never replacing one. In a journal
  // directory named as a segment no writer holds (`<ms>-<seq>-<pid>-salvaged-journal.jsonl`:
  // no writer's pid), since only segments are read back there, and any queue on the store may.
  return (await new SpillWriter(dir, undefined, journal ? `-salvaged${JOURNAL_TAG}` : '').append(pairs)).map((f) => f.name);
}

/** The bad lines at their original line numbers, with empty lines in between. */
function keepLineNumbers(bad: SpillLineVerdicts['bad']): Buffer {
  const parts: Buffer[] = [];
  let line = 1;
  for (const b of bad) {
    parts.push(Buffer.alloc(b.line - line, 0x0a), b.raw, Buffer.from('\n'));
    line = b.line + 1;
  }
  return Buffer.concat(parts);
}

/** Atomic replace (tmp, fsync, rename): the quarantined file is meant to be replaced here. */
async function replaceDurably(dir: string, name: string, content: Buffer | string): Promise<void> {
  await fse.rm(join(dir, `${name}.tmp`), { force: true }); // left by an earlier crash
  await replaceFileDurably(dir, name, content);
}
