// Cross-process claims on spill files (proper-lockfile): one process works a file at a
// time; a holder that died stops refreshing its claim and another takes it over.
import fse from 'fs-extra';
import lockfile from 'proper-lockfile';
import type { Logger } from '../log.js';
import { listSpillDir, spillPath } from './spill-dir.js';

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
}

export async function claimSpillFile(dir: string, name: string, opts: ClaimOptions): Promise<SpillClaim | null> {
  const path = spillPath(dir, name);
  let compromised = false;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      stale: opts.staleMs,
      update: Math.max(1000, Math.floor(opts.staleMs / 2)),
      realpath: false, // the file is deleted while claimed
      retries: 0,
      onCompromised: (err) => {
        compromised = true;
        opts.logger.warn({ file: name, error: err.message }, 'spill claim lost; another process took the file over');
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    if (!(await frozenFor(path, opts.staleMs))) return null;
    // The holder stopped refreshing its claim staleMs ago by the monotonic clock, whatever the
    // wall clock says (stepped back, a claim's mtime looks fresh for as long as the step).
    opts.logger.warn({ file: name }, 'spill claim not refreshed for claimStaleMs (monotonic); taking it over');
    await fse.remove(`${path}.lock`);
    return claimSpillFile(dir, name, opts);
  }
  const claim: SpillClaim = {
    name,
    path,
    get compromised() {
      return compromised;
    },
    release: async () => {
      await release().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ERELEASED' && err.code !== 'ENOTACQUIRED') throw err;
      });
    },
  };
  // Another process may have finished and deleted the file between listing and claiming.
  if (opts.checkPresent !== false && !(await fse.pathExists(path))) {
    await claim.release();
    return null;
  }
  return claim;
}

/** Each claim seen held by another process: its mtime and when (monotonic) that mtime was first seen. */
const seenClaims = new Map<string, { mtimeMs: number; since: number }>();

/**
 * True once a claim has kept the same mtime for `staleMs` of monotonic time: its holder,
 * which refreshes it every staleMs / 2, is gone. proper-lockfile judges staleness by
 * `Date.now() - mtime`, which a clock stepped back stretches by the size of the step.
 */
async function frozenFor(path: string, staleMs: number): Promise<boolean> {
  const st = await fse.stat(`${path}.lock`).catch(() => null);
  if (!st) {
    seenClaims.delete(path);
    return false;
  }
  const seen = seenClaims.get(path);
  const now = performance.now();
  if (!seen || seen.mtimeMs !== st.mtimeMs) {
    if (seenClaims.size > 10_000) seenClaims.clear(); // bounded: files come and go
    seenClaims.set(path, { mtimeMs: st.mtimeMs, since: now });
    return false;
  }
  if (now - seen.since < staleMs) return false;
  seenClaims.delete(path);
  return true;
}

/** Claims the oldest pending file no other process holds, or null when there is none. */
export async function claimOldestSpillFile(
  dir: string,
  opts: ClaimOptions,
  accept: (name: string) => boolean = () => true,
): Promise<SpillClaim | null> {
  const { pending } = await listSpillDir(dir);
  for (const name of pending) {
    if (!accept(name)) continue;
    const claim = await claimSpillFile(dir, name, opts);
    if (claim) return claim;
  }
  return null;
}
