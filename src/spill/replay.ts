// Replays one claimed spill file into a sink: validate all, quarantine or write it in
// chunks, and delete it only after every pair is durable. Used by the queue and the CLI.
import fse from 'fs-extra';
import type { Logger } from '../log.js';
import type { SpillClaim } from './spill-claims.js';
import { quarantineSpillFile } from './quarantine.js';
import { readSpillFile } from './spill-reader.js';
import type { IdentifiedPair } from './spill-writer.js';
import { markChecked, markReplayed } from '../sink.js';

export type ReplayOutcome =
  | { kind: 'applied'; pairs: number }
  | { kind: 'quarantined'; as: string; reason: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'deferred'; reason: string };

export interface ReplayOptions {
  dir: string;
  chunkPairs: number;
  logger: Logger;
  /** Writes one chunk durably; false means the sink is failing: leave the file for later. */
  deliver(pairs: IdentifiedPair[]): Promise<boolean>;
  onProgress?(pairsDone: number, pairsTotal: number): void;
}

export async function replayClaimedFile(claim: SpillClaim, opts: ReplayOptions): Promise<ReplayOutcome> {
  const content = await readSpillFile(claim.path, claim.name);
  switch (content.kind) {
    case 'gone':
      return { kind: 'skipped', reason: 'already gone' };
    case 'not-a-file':
      opts.logger.warn('spill entry skipped', { file: claim.name, reason: content.reason });
      return { kind: 'skipped', reason: content.reason };
    case 'empty':
      await fse.rm(claim.path, { force: true });
      opts.logger.info('empty spill file removed', { file: claim.name });
      return { kind: 'applied', pairs: 0 };
    case 'malformed': {
      const as = await quarantineSpillFile(opts.dir, claim.name, content.reason);
      opts.logger.error('spill file quarantined; nothing of it was applied', {
        file: claim.name,
        quarantinedAs: as,
        reason: content.reason,
        fix: 'correct the file, then run: provq spill retry <file> (or --salvage to apply the valid lines)',
      });
      return { kind: 'quarantined', as, reason: content.reason };
    }
    case 'pairs':
      break;
  }
  const { pairs } = content;
  for (let i = 0; i < pairs.length; i += opts.chunkPairs) {
    if (claim.compromised) return { kind: 'deferred', reason: 'claim taken over by another process' };
    if (!(await opts.deliver(markChecked(markReplayed(pairs.slice(i, i + opts.chunkPairs)))))) {
      return { kind: 'deferred', reason: 'sink failing' };
    }
    opts.onProgress?.(Math.min(i + opts.chunkPairs, pairs.length), pairs.length);
  }
  // Every pair is durable now, so deleting is safe even if another process took the claim over.
  await fse.rm(claim.path, { force: true });
  return { kind: 'applied', pairs: pairs.length };
}
