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
