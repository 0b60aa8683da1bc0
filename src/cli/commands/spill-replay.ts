// provq spill replay --store PATH [--dir DIR] | --postgres URL --dir DIR: apply every pending spill file now, oldest first.
import { CLAIM_STALE_MS, parseArgs, replayArgsSchema, storeJournalDir } from '../args.js';
import { silentLogger } from '../../log.js';
import { claimOldestSpillFile } from '../../spill/spill-claims.js';
import { checkSpillDir, listSpillDir } from '../../spill/spill-dir.js';
import { spillStatus } from '../../spill/spill-status.js';
import { recoverAbandonedTmpFiles } from '../../spill/stale-tmp.js';
import { applySpillFile } from '../apply-spill-file.js';
import type { Io } from '../io.js';
import { openTargetStore } from '../open-store.js';
import { assertStoreOwnsDir } from '../store-dirs.js';
import { ReplayReport } from '../replay-report.js';
import { replayDeadJournal } from '../replay-journal.js';
import { journalDirBeside } from '../../journal/journal-dir.js';
import { isJournalSegmentName } from '../../journal/journal-names.js';
import { UsageError } from '../../errors.js';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

export async function spillReplayCommand(raw: unknown, io: Io): Promise<number> {
  const args = parseArgs(replayArgsSchema, raw);
  const store = await openTargetStore(args);
  const dir = args.dir ?? store.spillDir;
  // A store's journal is <store>/provenance-journal, a Postgres store's <spillDir>-journal.
  const journalDir = args.store ? storeJournalDir(args.store) : journalDirBeside(dir);
  try {
    refuseJournalAsSpillDir(dir, journalDir);
    const spilled = await checkSpillDir(dir);
    const journaled = await checkSpillDir(journalDir);
    if (!spilled && !journaled) {
      io.out(`${dir}: no spill directory, nothing to replay`);
      return 0;
    }
    // Another store's directories are refused before anything of them is applied or moved.
    if (spilled) assertStoreOwnsDir(store, dir, 'spill directory');
    if (journaled) assertStoreOwnsDir(store, journalDir, 'journal directory');
    // Writes abandoned by a dead writer: complete ones back in line, incomplete ones quarantined.
    if (spilled) await recoverAbandonedTmpFiles(dir, silentLogger);
    const { pending } = await spillStatus(dir, { staleMs: CLAIM_STALE_MS });
    const report = await ReplayReport.start(io, store, pending.pairs);
    const tried = new Set<string>();
    let storeFailing = false;
    for (;;) {
      // Each file once: one another process took over, or that could not be read, is not retried here.
      const claim = spilled ? await claimOldestSpillFile(dir, { staleMs: CLAIM_STALE_MS, logger: silentLogger }, (n) => !tried.has(n)) : null;
      if (!claim) break;
      tried.add(claim.name);
      try {
        report.fileDone(claim.name, await applySpillFile(store, dir, claim, (n) => report.progress(claim.name, n)));
      } catch (err) {
        report.fileFailed(claim.name, err);
        storeFailing = true;
        break; // the store is failing: leave the rest pending
      } finally {
        await claim.release();
      }
    }
    // Then what dead writers journaled: acknowledged pairs that may be in no spill file.
    const journal = storeFailing ? { heldElsewhere: [] } : await replayDeadJournal(store, journalDir, report);
    const left = await listSpillDir(dir);
    return await report.finish(store.label, [...left.pending.filter((n) => !tried.has(n)), ...journal.heldElsewhere], left.skipped);
  } finally {
    await store.close();
  }
}

/**
 * `--dir` naming a journal directory: its segments would be read as spill files, and a dead
 * writer's segment ending in zeros or a cut line (its normal end) set aside whole instead of
 * applied. Replay reads the store's journal itself, by its own rules.
 */
function refuseJournalAsSpillDir(dir: string, journalDir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // no directory (or not one): checkSpillDir says so
  }
  const segment = names.find(isJournalSegmentName);
  if (resolve(dir) !== resolve(journalDir) && segment === undefined) return;
  throw new UsageError(
    `--dir ${dir} is a journal directory${segment ? ` (it holds journal segments, ${segment})` : ''}, not a spill directory: nothing was applied or moved; replay reads the store's journal itself — pass the spill directory as --dir, or leave --dir out`,
  );
}
