// The cross-process claim both spill claims are made of (proper-lockfile): a `<path>.lock`
// directory whose holder refreshes its mtime; a holder that died stops refreshing it and
// another process takes it over. Used for one file (spill-claims.ts) and for a whole round
// of read-back in a directory (read-back-lease.ts).
import * as fs from 'node:fs';
import fse from 'fs-extra';
import lockfile from 'proper-lockfile';
import type { Logger } from '../log.js';

/** How often a held claim's mtime is refreshed: half the smallest claimStaleMs the options allow. */
export const CLAIM_REFRESH_MS = 1000;

export interface HeldLock {
  /** Set when the claim was lost (taken over as stale): stop taking more work under it. */
  readonly compromised: boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  staleMs: number;
  logger: Logger;
}

/**
 * Takes the claim on `path` (the directory `<path>.lock`), taking over one whose holder is
 * gone; null when a live holder has it. `label` names the claim in log lines.
 */
export async function takeLock(path: string, label: string, opts: LockOptions): Promise<HeldLock | null> {
  let compromised = false;
  let release: () => Promise<void>;
  /** The mtime this process last gave the claim (proper-lockfile's own test of "still ours"). */
  let ourMtimeMs: number | null = null;
  try {
    release = await lockfile.lock(path, {
      fs: {
        ...fs,
        utimes: (p: fs.PathLike, atime: fs.TimeLike, mtime: Date, cb: (err: NodeJS.ErrnoException | null) => void) =>
          fs.utimes(p, atime, mtime, (err) => {
            if (!err) ourMtimeMs = mtime.getTime();
            cb(err);
          }),
      },
      stale: opts.staleMs,
      // Refreshed every second whatever this process's staleMs: another process judges the
      // claim by its own claimStaleMs (2 s at the least, the schema's minimum), so a holder
      // refreshing every staleMs / 2 of a longer staleMs looked dead to it and was taken over.
      update: CLAIM_REFRESH_MS,
      realpath: false, // a claimed file is deleted while claimed
      retries: 0,
      onCompromised: (err) => {
        compromised = true;
        opts.logger.warn({ file: label, error: err.message }, 'spill claim lost; another process took it over');
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    if (!(await frozenFor(path, opts.staleMs))) return null;
    // The holder stopped refreshing its claim staleMs ago by the monotonic clock, whatever the
    // wall clock says (stepped back, a claim's mtime looks fresh for as long as the step).
    opts.logger.warn({ file: label }, 'spill claim not refreshed for claimStaleMs (monotonic); taking it over');
    await fse.remove(`${path}.lock`);
    return takeLock(path, label, opts);
  }
  return {
    get compromised() {
      return compromised;
    },
    release: async () => {
      // A holder that stalled past another process's claimStaleMs may find its claim taken
      // over before proper-lockfile's next refresh says so: the claim is that process's now,
      // and removing it would let a third take the same files while it works them. Left be,
      // proper-lockfile finds it is not ours at its next refresh and lets it go.
      if (!compromised && ourMtimeMs !== null) {
        const st = await statLock(path).catch(() => null);
        if (st !== null && st.mtime.getTime() !== ourMtimeMs) {
          opts.logger.warn({ file: label }, 'spill claim taken over by another process while this one stalled; left to it');
          return;
        }
      }
      await release().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ERELEASED' && err.code !== 'ENOTACQUIRED') throw err;
      });
    },
  };
}

/** A claim's mtime this far ahead of the wall clock was set before the clock stepped back. */
const AHEAD_SLACK_MS = 1000;
/** How often a claim whose mtime is ahead of the clock is looked at again. */
const AHEAD_POLL_MS = 100;

/**
 * True when a claim on `path` exists that its holder refreshed within `staleMs` (by the wall
 * clock, as proper-lockfile judges it): one file-system call. A claim refreshed last before
 * the clock stepped back has an mtime ahead of the clock, so its age says nothing (a dead
 * holder's would look fresh for as long as the step): it is watched for up to `staleMs` of
 * monotonic time, and held only if its holder refreshes it meanwhile.
 */
export async function lockHeld(path: string, staleMs: number): Promise<boolean> {
  const st = await statLock(path);
  if (st === null) return false;
  if (st.mtimeMs <= Date.now() + AHEAD_SLACK_MS) return st.mtimeMs >= Date.now() - staleMs;
  const end = performance.now() + staleMs;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, AHEAD_POLL_MS));
    const now = await statLock(path);
    if (now === null) return false; // released
    if (now.mtimeMs !== st.mtimeMs) return true; // refreshed: its holder lives
  }
  return false;
}

async function statLock(path: string): Promise<fse.Stats | null> {
  return fse.stat(`${path}.lock`).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}

/** Each claim seen held by another process: its mtime and when (monotonic) that mtime was first seen. */
const seenClaims = new Map<string, { mtimeMs: number; since: number }>();

/**
 * True once a claim has kept the same mtime for `staleMs` of monotonic time: its holder,
 * which refreshes it every CLAIM_REFRESH_MS, is gone. proper-lockfile judges staleness by
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
