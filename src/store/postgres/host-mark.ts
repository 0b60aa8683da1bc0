// Entry ids of one host never go backwards, also across restarts on a clock that stepped
// back. Each host (a machine and its spill dir) keeps a high-water mark in the database,
// raised in the same statement as the first batch whose ids pass it, by a lease, so most
// batches do not touch the mark's row. At open, ids are floored at the mark and at the
// newest local spill or journal file (pairs not yet in the database).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import fse from 'fs-extra';
import { issuedIdTime } from '../../entry-id.js';
import { isPendingName, spillFileTime } from '../../spill/spill-file-name.js';

/** How far past a batch's newest id the mark is set: at most one mark write per lease. */
export const MARK_LEASE_MS = 1000;

export function hostKey(spillDir: string): string {
  return `${hostname()}:${resolve(spillDir)}`;
}

/** The newest time in the names of pending files in these dirs (0 when none). */
export async function newestLocalFileTime(dirs: string[]): Promise<number> {
  let newest = 0;
  for (const dir of dirs) {
    const names = await fse.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const ms = isPendingName(name) ? spillFileTime(name) : undefined;
      if (ms !== undefined && ms > newest) newest = ms;
    }
  }
  return newest;
}

/** Tracks the committed mark and says when a batch must raise it. */
export class HostMark {
  constructor(
    readonly host: string,
    private committed: number,
  ) {}

  /** The mark a batch with these ids must write with itself, or null when the committed one covers them. */
  needed(entryIds: readonly string[]): { host: string; ms: number } | null {
    let newest = 0;
    for (const id of entryIds) {
      const ms = issuedIdTime(id);
      if (ms !== undefined && ms > newest) newest = ms;
    }
    return newest > this.committed ? { host: this.host, ms: newest + MARK_LEASE_MS } : null;
  }

  /** After the batch carrying `ms` committed. */
  committedAt(ms: number): void {
    if (ms > this.committed) this.committed = ms;
  }
}
