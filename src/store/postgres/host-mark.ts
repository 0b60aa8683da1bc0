// Entry ids of one host never go backwards, also across restarts on a clock that stepped
// back. Each host (a machine and its spill dir) keeps a high-water mark in the database,
// raised in the same statement as the first batch whose ids pass it, by a lease, so most
// batches do not touch the mark's row. At open, ids are floored at the mark and at the
// newest id in the local spill and journal files (pairs not yet in the database).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { issuedIdTime } from '../../entry-id.js';

/** How far past a batch's newest id the mark is set: at most one mark write per lease. */
export const MARK_LEASE_MS = 1000;

export function hostKey(spillDir: string): string {
  return `${hostname()}:${resolve(spillDir)}`;
}

/** Tracks the committed mark and says when a batch must raise it. */
export class HostMark {
  /** Sorts after every id of the library's formats whose ms is at most the committed mark. */
  private coveredBelow: string;

  constructor(
    readonly host: string,
    private committed: number,
  ) {
    this.coveredBelow = coveredBelow(committed);
  }

  /** The mark a batch with these ids must write with itself, or null when the committed one covers them. */
  needed(entryIds: readonly string[]): { host: string; ms: number } | null {
    let newest = 0;
    for (const id of entryIds) {
      // A string compare: most batches' ids are all covered, and are not parsed.
      if (id < this.coveredBelow) continue;
      const ms = issuedIdTime(id);
      if (ms !== undefined && ms > newest) newest = ms;
    }
    return newest > this.committed ? { host: this.host, ms: newest + MARK_LEASE_MS } : null;
  }

  /** After the batch carrying `ms` committed. */
  committedAt(ms: number): void {
    if (ms > this.committed) {
      this.committed = ms;
      this.coveredBelow = coveredBelow(ms);
    }
  }
}

/**
 * Ids start with their 13-digit ms and a '-' (ENTRY_ID_FORMAT), so one whose ms is at most
 * `ms` sorts before `<ms, 13 digits>-\uffff`, and one whose ms is above it after.
 */
function coveredBelow(ms: number): string {
  return `${String(ms).padStart(13, '0')}-\uffff`;
}
