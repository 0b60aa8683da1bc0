// What `provq spill status` reports: a read-only look at a spill directory. Pairs are
// counted as non-blank lines (not validated: that is replay's job, and it may be slow).
import { join } from 'node:path';
import fse from 'fs-extra';
import { checkSpillDir, listSpillDir } from './spill-dir.js';
import { READ_BACK_LEASE, spillFileTime } from './spill-file-name.js';
import { readQuarantineReason } from './quarantine.js';

export interface SpillStatus {
  dir: string;
  exists: boolean;
  pending: { files: number; pairs: number; bytes: number; oldestAgeMs: number | null; names: string[] };
  quarantined: { file: string; reason: string | null }[];
  /** `<file>.jsonl.lock` claims; `stale` once not refreshed for `staleMs` (its holder is gone). */
  claims: { file: string; ageMs: number; stale: boolean }[];
  /** The read-back lease (`read-back.lock`): a process reading back a round of files; null when none. */
  readBackLease: { ageMs: number; stale: boolean } | null;
  /** `*.tmp` files: spill writes in progress, or abandoned by a writer that died. */
  unfinished: { file: string; ageMs: number }[];
  /** `*.jsonl` entries that are not regular files: never read. */
  skipped: string[];
}

export interface SpillStatusOptions {
  /** A claim not refreshed for this long counts as stale (the queue's `claimStaleMs`). */
  staleMs: number;
  now?: number;
}

export async function spillStatus(dir: string, opts: SpillStatusOptions): Promise<SpillStatus> {
  const now = opts.now ?? Date.now();
  const status: SpillStatus = {
    dir,
    exists: await checkSpillDir(dir),
    pending: { files: 0, pairs: 0, bytes: 0, oldestAgeMs: null, names: [] },
    quarantined: [],
    claims: [],
    readBackLease: null,
    unfinished: [],
    skipped: [],
  };
  if (!status.exists) return status;
  const listing = await listSpillDir(dir);
  for (const name of listing.pending) {
    const path = join(dir, name);
    const st = await fse.lstat(path).catch(() => undefined);
    const text = await fse.readFile(path, 'utf8').catch(() => undefined);
    if (!st || text === undefined) continue; // applied and deleted while we looked
    status.pending.files++;
    status.pending.names.push(name);
    status.pending.bytes += st.size;
    status.pending.pairs += countNonBlankLines(text);
    const age = Math.max(0, now - (spillFileTime(name) ?? st.mtimeMs));
    status.pending.oldestAgeMs = Math.max(status.pending.oldestAgeMs ?? 0, age);
  }
  for (const file of listing.quarantined) {
    status.quarantined.push({ file, reason: (await readQuarantineReason(dir, file)) ?? null });
  }
  for (const lock of listing.claims) {
    const st = await fse.stat(join(dir, lock)).catch(() => undefined);
    if (!st) continue; // released while we looked
    const ageMs = Math.max(0, now - st.mtimeMs);
    status.claims.push({ file: lock.replace(/\.lock$/, ''), ageMs, stale: ageMs > opts.staleMs });
  }
  const lease = await fse.stat(join(dir, `${READ_BACK_LEASE}.lock`)).catch(() => undefined);
  if (lease) {
    const ageMs = Math.max(0, now - lease.mtimeMs);
    status.readBackLease = { ageMs, stale: ageMs > opts.staleMs };
  }
  for (const name of (await fse.readdir(dir)).filter((n) => n.endsWith('.tmp')).sort()) {
    const st = await fse.lstat(join(dir, name)).catch(() => undefined);
    if (st) status.unfinished.push({ file: name, ageMs: Math.max(0, now - st.mtimeMs) });
  }
  status.skipped = listing.skipped;
  return status;
}

function countNonBlankLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') n++;
  return n;
}
