// What `provq spill status` shows of a journal directory: each segment, how many pairs it
// holds, and whose it is — a live writer's (left alone) or a dead one's (read back by the
// next queue that starts on this store).
import { join } from 'node:path';
import fse from 'fs-extra';
import { checkSpillDir, listSpillDir } from '../spill/spill-dir.js';
import { spillFileTime } from '../spill/spill-file-name.js';
import { isJournalSegmentName, journalWriterMayLive, journalWriterPid } from './journal-names.js';

export interface JournalSegmentStatus {
  file: string;
  /** The writer's pid, from the name. */
  pid: number | null;
  /** False once the writer is surely gone: the segment waits to be read back. */
  writerAlive: boolean;
  pairs: number;
  bytes: number;
  ageMs: number;
}

export interface JournalStatus {
  dir: string;
  exists: boolean;
  segments: JournalSegmentStatus[];
  /** Quarantined files in the journal dir (a dead writer's segment torn in the middle, say). */
  quarantined: string[];
}

export async function journalStatus(dir: string, now = Date.now()): Promise<JournalStatus> {
  const status: JournalStatus = { dir, exists: await checkSpillDir(dir), segments: [], quarantined: [] };
  if (!status.exists) return status;
  const listing = await listSpillDir(dir);
  status.quarantined = listing.quarantined;
  for (const file of listing.pending.filter(isJournalSegmentName)) {
    const st = await fse.lstat(join(dir, file)).catch(() => undefined);
    if (!st) continue; // deleted while we looked: its pairs were saved
    const pid = journalWriterPid(file) ?? null;
    status.segments.push({
      file,
      pid,
      writerAlive: journalWriterMayLive(file),
      pairs: await countLines(join(dir, file)),
      bytes: st.size,
      ageMs: Math.max(0, now - (spillFileTime(file) ?? st.mtimeMs)),
    });
  }
  return status;
}

/** Complete lines, counted without holding the file in memory. */
async function countLines(path: string): Promise<number> {
  let n = 0;
  try {
    for await (const chunk of fse.createReadStream(path) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
    }
  } catch {
    // deleted while we read: its pairs were saved
  }
  return n;
}
