// Journal segment names: spill file names with the `journal` tag,
// `<13-digit ms>-<6-digit sequence>-<pid>-journal.jsonl`, so they sort by age like spill
// files and say which process wrote them.
import { newSpillFileName } from '../spill/spill-file-name.js';

const TAG = '-journal.jsonl';

export function journalSegmentName(): string {
  return newSpillFileName().replace(/\.jsonl$/, TAG);
}

export function isJournalSegmentName(name: string): boolean {
  return name.endsWith(TAG);
}

/** The pid of the process that wrote a segment, from its name. */
export function journalWriterPid(name: string): number | undefined {
  const m = /^\d{13}-\d{6}-(\d+)-journal\.jsonl$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** True unless the pid surely belongs to no running process on this host. */
export function mayBeAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
