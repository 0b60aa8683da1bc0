// Applies claimed spill files to a store, in chunks through appendProvenanceBatch; a file
// is deleted only once every pair is durable (replayClaimedFile).
import { silentLogger } from '../log.js';
import { REPLAYED_VALIDATED } from '../sink.js';
import { replayClaimedFile, type ReplayOutcome } from '../spill/replay.js';
import { claimSpillFile, type SpillClaim } from '../spill/spill-claims.js';
import { CLAIM_STALE_MS } from './args.js';
import type { Io } from './io.js';
import type { CliStore } from './open-store.js';
import { ReplayReport } from './replay-report.js';

const CHUNK_PAIRS = 1024;

export function applySpillFile(
  store: CliStore,
  dir: string,
  claim: SpillClaim,
  onProgress?: (pairsDone: number) => void,
  /** A dead writer's journal segment: its cut last line (never acknowledged) is dropped. */
  dropTornTail = false,
): Promise<ReplayOutcome> {
  return replayClaimedFile(claim, {
    dir,
    chunkPairs: CHUNK_PAIRS,
    logger: silentLogger, // the CLI reports outcomes itself, in plain lines
    deliver: async (pairs) => {
      const result = await store.appendProvenanceBatch(pairs, REPLAYED_VALIDATED);
      return { ok: true, unknownRecords: result ? result.unknownRecords : undefined };
    },
    ...(onProgress ? { onProgress } : {}),
    dropTornTail,
  });
}

/** `retry --store`: applies the named files now; returns the exit code. */
export async function applyNamedSpillFiles(store: CliStore, dir: string, names: string[], io: Io): Promise<number> {
  const report = await ReplayReport.start(io, store, null);
  const heldElsewhere: string[] = [];
  for (const name of names) {
    const claim = await claimSpillFile(dir, name, { staleMs: CLAIM_STALE_MS, logger: silentLogger });
    if (!claim) {
      heldElsewhere.push(name); // a running queue got there first
      continue;
    }
    try {
      report.fileDone(name, await applySpillFile(store, dir, claim));
    } catch (err) {
      report.fileFailed(name, err);
    } finally {
      await claim.release();
    }
  }
  return report.finish(store.label, heldElsewhere);
}
