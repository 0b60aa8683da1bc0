// The read-back lease: one claim on a spill directory for a whole round of read-back, in
// place of one claim per file. A down sink's backlog is thousands of small files, and a
// claim costs a `mkdir`, a `stat` and an `rmdir` (a directory inode and block allocated
// and freed, serialised on the spill directory's lock): about half of what reading back a
// 40-pair file cost. Under the lease, a file costs no claim of its own.
//
// The rules that keep "one process works a file at a time":
// - the holder lists the directory after taking the lease, and works a file that has a
//   claim of its own (`<file>.lock`: a single-file claimant, a dead writer's) only by
//   taking that claim (claimSpillFile with `underLease`), as before;
// - a single-file claimant checks for the lease after taking its file's claim, and gives
//   the file up while a live holder has it (spill-claims.ts).
// Either the holder's listing saw the file's claim, or the claimant's check sees the lease.
import type { Logger } from '../log.js';
import { takeLock, type HeldLock } from './claim-lock.js';
import type { SpillClaim } from './spill-claims.js';
import { spillPath } from './spill-dir.js';
import { READ_BACK_LEASE } from './spill-file-name.js';

export interface ReadBackLease {
  /** Lost to another process (taken over as stale): take no more files under it. */
  readonly compromised: boolean;
  /** A claim on one file of the directory, held by the lease: no file-system call. */
  cover(name: string): SpillClaim;
  release(): Promise<void>;
}

/** Takes the directory's lease; null while another live process holds it. Throws on an I/O error. */
export async function takeReadBackLease(dir: string, opts: { staleMs: number; logger: Logger }): Promise<ReadBackLease | null> {
  const held: HeldLock | null = await takeLock(spillPath(dir, READ_BACK_LEASE), `${dir} (read-back lease)`, opts);
  if (!held) return null;
  return {
    get compromised() {
      return held.compromised;
    },
    cover: (name) => ({
      name,
      path: spillPath(dir, name),
      get compromised() {
        return held.compromised;
      },
      // The lease is released once, by its holder, after the round's files are settled.
      release: () => Promise.resolve(),
    }),
    release: () => held.release(),
  };
}
