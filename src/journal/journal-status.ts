// What `provq spill status` shows of a journal directory: each segment, how many pairs it
// holds, and whose it is — a live writer's (left alone) or a dead one's (read back by the
// next queue that starts on this store).
import { join } from 'node:path';
import fse from 'fs-extra';
import { checkSpillDir, listSpillDir } from '../spill/spill-dir.js';
import { spillFileTime } from '../spill/spill-file-name.js';
import { readQuarantineReason } from '../spill/quarantine.js';
import { zerosFrom } from '../spill/spill-line-judge.js';
import { isJournalSegmentName, journalWriterMayLive, journalWriterPid } from './journal-names.js';

export interface JournalSegmentStatus {
  file: string;
  /** The writer's pid, from the name. */
  pid: number | null;
  /** False once the writer is surely gone: the segment waits to be read back. */
  writerAlive: boolean;
  pairs: number;
  /** Bytes written: a mapped segment's file is allocated whole, its unwritten end zeros (not counted). */
  bytes: number;
  /** The file's size (its allocated length while a mapped segment is written). */
  fileBytes: number;
  ageMs: number;
}

export interface JournalStatus {
  dir: string;
  exists: boolean;
  segments: JournalSegmentStatus[];
  /**
   * Quarantined files in the journal dir and why: a dead writer's segment torn in the middle,
   * say, or the rest of one after zeros with data after them (its lines before were applied).
   */
  quarantined: { file: string; reason: string | null }[];
}

export async function journalStatus(dir: string, now = Date.now()): Promise<JournalStatus> {
  const status: JournalStatus = { dir, exists: await checkSpillDir(dir), segments: [], quarantined: [] };
  if (!status.exists) return status;
  const listing = await listSpillDir(dir);
  for (const file of listing.quarantined) status.quarantined.push({ file, reason: (await readQuarantineReason(dir, file)) ?? null });
  for (const file of listing.pending.filter(isJournalSegmentName)) {
    const st = await fse.lstat(join(dir, file)).catch(() => undefined);
    if (!st) continue; // deleted while we looked: its pairs were saved
    const pid = journalWriterPid(file) ?? null;
    status.segments.push({
      file,
      fileBytes: st.size,
      pid,
      writerAlive: journalWriterMayLive(file),
      ...(await linesAndUsedBytes(join(dir, file))),
      ageMs: Math.max(0, now - (spillFileTime(file) ?? st.mtimeMs)),
    });
  }
  return status;
}

/**
 * Complete lines, and the bytes up to the last one that is not 0 (a mapped segment's
 * unwritten end is zeros), counted without holding the file in memory.
 */
async function linesAndUsedBytes(path: string): Promise<{ pairs: number; bytes: number }> {
  let pairs = 0;
  let bytes = 0;
  let at = 0;
  try {
    for await (const chunk of fse.createReadStream(path) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) pairs++;
      if (!zerosFrom(chunk, 0)) {
        let last = chunk.length - 1;
        while (chunk[last] === 0) last--;
        bytes = at + last + 1;
      }
      at += chunk.length;
    }
  } catch {
    // deleted while we read: its pairs were saved
  }
  return { pairs, bytes };
}
