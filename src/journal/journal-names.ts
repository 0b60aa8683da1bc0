// Journal segment names: spill file names with the `journal` tag,
// `<13-digit ms>-<6-digit sequence>-<pid>-journal.jsonl`, so they sort by age like spill
// files and say which process wrote them.
import { newSpillFileName } from '../spill/spill-file-name.js';

/** Before `.jsonl` in a segment's name. */
export const JOURNAL_TAG = '-journal';
const TAG = `${JOURNAL_TAG}.jsonl`;

/** A dead writer's claim on its journal segment is taken over after this (proper-lockfile's minimum). */
export const DEAD_WRITER_STALE_MS = 2000;

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

/**
 * The segments journal writers of this process hold open (every queue, every store): a
 * fact about the process, so a second queue on the same journal dir never reads them.
 */
export const segmentsWrittenHere = new Set<string>();

/**
 * False once the writer of segment `name` is surely gone, so its segment may be read back.
 * A live writer's segment is never claimed, however long its event loop stalls (its claim
 * then goes stale, its pid does not). A segment named with this process's own pid that
 * none of its writers holds was left by an earlier process with the same pid (a container's
 * pid 1, restarted), or by a queue of this process that has stopped: gone. Another process that took a dead writer's pid keeps its
 * segments waiting until it ends (nothing is lost; `provq spill status` shows them).
 */
export function journalWriterMayLive(name: string): boolean {
  const pid = journalWriterPid(name);
  if (pid === undefined) return false; // not a name this library writes: a hand-placed file
  if (pid === process.pid) return segmentsWrittenHere.has(name);
  return processExists(pid);
}

/** True unless no process has this pid on this host. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
