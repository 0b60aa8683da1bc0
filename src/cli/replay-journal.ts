// `provq spill replay`'s second half: the journal segments of writers that are gone (a
// process killed with -9, an OOM kill) hold pairs their recalls acknowledged that may be in
// no spill file. They are applied as the next queue on the store would: claimed (a dead
// writer's claim is taken over once stale), their torn last line dropped, the rest after
// zeros with data after them (a power cut) set aside, deleted once every pair is durable.
// A live writer's segments are left to it.
import { join } from 'node:path';
import fse from 'fs-extra';
import { DEAD_WRITER_STALE_MS, isJournalSegmentName, journalWriterMayLive } from '../journal/journal-names.js';
import { silentLogger } from '../log.js';
import { assertDirOwner } from '../spill/dir-owner.js';
import { claimSpillFile, type SpillClaim } from '../spill/spill-claims.js';
import { checkSpillDir, listSpillDir } from '../spill/spill-dir.js';
import { applySpillFile } from './apply-spill-file.js';
import type { CliStore } from './open-store.js';
import type { ReplayReport } from './replay-report.js';

/** How long replay waits for a just-killed writer's claim to go stale (it was refreshed up to a second before the kill). */
const DEAD_CLAIM_WAIT_MS = 2 * DEAD_WRITER_STALE_MS + 1000;
const DEAD_CLAIM_POLL_MS = 200;

export interface JournalReplayed {
  /** Segments a live writer holds, or another process was applying: not ours to apply. */
  heldElsewhere: string[];
}

/** Applies every dead writer's segment in `journalDir`, oldest first; stops at the first the store fails. */
export async function replayDeadJournal(store: CliStore, journalDir: string, report: ReplayReport): Promise<JournalReplayed> {
  const heldElsewhere: string[] = [];
  if (!(await checkSpillDir(journalDir))) return { heldElsewhere };
  assertDirOwner(journalDir, store.sinkId, 'journal directory');
  const segments = (await listSpillDir(journalDir)).pending.filter(isJournalSegmentName);
  for (const name of segments) {
    if (journalWriterMayLive(name)) {
      heldElsewhere.push(name);
      continue;
    }
    const claim = await claimDeadWritersSegment(journalDir, name);
    if (claim === 'gone') continue; // read back by a queue meanwhile
    if (!claim) {
      heldElsewhere.push(name); // a queue on the store is reading it back now
      continue;
    }
    try {
      report.fileDone(name, await applySpillFile(store, journalDir, claim, (n) => report.progress(name, n), true));
    } catch (err) {
      report.fileFailed(name, err);
      break; // the store is failing: leave the rest for later
    } finally {
      await claim.release();
    }
  }
  return { heldElsewhere };
}

/**
 * A dead writer's claim stays fresh for up to DEAD_WRITER_STALE_MS after the kill: a replay
 * run right after it waits for the claim to go stale, not calling it another's. Null when
 * it stays held (a queue reading it back keeps it fresh), 'gone' when that queue finished it.
 */
async function claimDeadWritersSegment(dir: string, name: string): Promise<SpillClaim | 'gone' | null> {
  const end = performance.now() + DEAD_CLAIM_WAIT_MS;
  for (;;) {
    const claim = await claimSpillFile(dir, name, { staleMs: DEAD_WRITER_STALE_MS, logger: silentLogger, checkPresent: false });
    const present = await fse.pathExists(join(dir, name));
    if (claim && present) return claim;
    await claim?.release();
    if (!present) return 'gone';
    if (performance.now() >= end) return null;
    await new Promise((r) => setTimeout(r, DEAD_CLAIM_POLL_MS));
  }
}
