// Cross-process claims on single spill files: one process works a file at a time; a holder
// that died stops refreshing its claim and another takes it over. A process reading back a
// whole round holds the directory's read-back lease instead (read-back-lease.ts), which
// covers every file that has no claim of its own: a file claimed alone is given up while
// another process holds the lease.
import fse from 'fs-extra';
import type { Logger } from '../log.js';
import { lockHeld, takeLock } from './claim-lock.js';
import { listSpillDir, spillPath } from './spill-dir.js';
import { READ_BACK_LEASE } from './spill-file-name.js';

export interface SpillClaim {
  readonly name: string;
  readonly path: string;
  /** Set when the claim was lost (taken over as stale): stop working the file. */
  readonly compromised: boolean;
  release(): Promise<void>;
}

export interface ClaimOptions {
  staleMs: number;
  logger: Logger;
  /**
   * Default true: a file gone by the time it is claimed gives null. A caller that opens the
   * file next and handles ENOENT itself may skip this check (one file-system call a file).
   */
  checkPresent?: boolean;
  /** The caller holds the directory's read-back lease (so another process cannot). */
  underLease?: boolean;
}

export async function claimSpillFile(dir: string, name: string, opts: ClaimOptions): Promise<SpillClaim | null> {
  const path = spillPath(dir, name);
  const held = await takeLock(path, name, opts);
  if (!held) return null;
  const claim: SpillClaim = {
    name,
    path,
    get compromised() {
      return held.compromised;
    },
    release: () => held.release(),
  };
  // The lease holder listed the directory after taking the lease: a file claimed before
  // that was seen claimed and left alone; one claimed after it finds the lease here and
  // gives way. So a file is never worked under a claim and under the lease at once.
  if (!opts.underLease) {
    let leaseHeld: boolean;
    try {
      leaseHeld = await lockHeld(spillPath(dir, READ_BACK_LEASE), opts.staleMs);
    } catch (err) {
      await claim.release().catch(() => {});
      throw err;
    }
    if (leaseHeld) {
      await claim.release();
      return null;
    }
  }
  // Another process may have finished and deleted the file between listing and claiming.
  if (opts.checkPresent !== false && !(await fse.pathExists(path))) {
    await claim.release();
    return null;
  }
  return claim;
}

/** Claims the oldest pending file `accept`s that no other process holds, or null when there is none. */
export async function claimOldestSpillFile(dir: string, opts: ClaimOptions, accept: (name: string) => boolean): Promise<SpillClaim | null> {
  const { pending } = await listSpillDir(dir);
  for (const name of pending) {
    if (!accept(name)) continue;
    const claim = await claimSpillFile(dir, name, opts);
    if (claim) return claim;
  }
  return null;
}
