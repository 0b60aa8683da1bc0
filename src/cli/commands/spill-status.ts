// provq spill status [--store PATH | --dir DIR | --postgres URL --dir DIR] [--json]: what is waiting, what is stuck, who holds what.
// A Postgres store's spill dir is local (the --dir given), its journal beside it: nothing is read from the database.
import { journalStatus, type JournalSegmentStatus, type JournalStatus } from '../../journal/journal-status.js';
import { spillStatus, type SpillStatus } from '../../spill/spill-status.js';
import { CLAIM_STALE_MS, parseArgs, statusArgsSchema, storeJournalDir, storeSpillDir } from '../args.js';
import type { Io } from '../io.js';
import { assertStoreDir } from '../open-store.js';
import { count } from '../plural.js';
import { journalDirBeside } from '../../journal/journal-dir.js';

export async function spillStatusCommand(raw: unknown, io: Io): Promise<number> {
  const args = parseArgs(statusArgsSchema, raw);
  // A mistyped --store must not read as "nothing has overflowed" (its spill dir never exists).
  if (args.store !== undefined) await assertStoreDir(args.store);
  const dir = args.dir ?? storeSpillDir(args.store!);
  const status = await spillStatus(dir, { staleMs: CLAIM_STALE_MS });
  // A store's journal is <store>/provenance-journal; a directly built queue's, <spillDir>-journal.
  const journal = await journalStatus(args.dir ? journalDirBeside(args.dir) : storeJournalDir(args.store!));
  if (args.json) io.out(JSON.stringify({ ...status, journal }, null, 2));
  else {
    printStatus(status, io);
    printJournal(journal, io);
  }
  return 0;
}

function printJournal(j: JournalStatus, io: Io): void {
  if (!j.exists) return;
  const live = j.segments.filter((s) => s.writerAlive);
  const dead = j.segments.filter((s) => !s.writerAlive);
  io.out(`journal ${j.dir}`);
  io.out(`  live         ${count(live.length, 'segment')} of running writers (left alone; deleted once their pairs are saved)`);
  for (const s of live) io.out(`    ${s.file}: pid ${s.pid}, ${count(s.pairs, 'pair')}, ${count(s.bytes, 'byte')}${allocated(s)}`);
  io.out(`  to recover   ${count(dead.length, 'segment')} of writers that are gone (read back by the next queue on this store)`);
  for (const s of dead) io.out(`    ${s.file}: pid ${s.pid ?? '?'} gone, ${count(s.pairs, 'pair')}, ${count(s.bytes, 'byte')}${allocated(s)}, ${secs(s.ageMs)} old`);
  io.out(`  quarantined  ${count(j.quarantined.length, 'file')}`);
  for (const q of j.quarantined) io.out(`    ${q.file}: ${q.reason ?? 'reason not recorded'}`);
  if (j.quarantined.length) io.out('  apply the complete lines of one with: provq spill retry <file> --salvage --store PATH');
}

/** A mapped segment's file is allocated whole: its size beside the bytes written. */
const allocated = (s: JournalSegmentStatus) => (s.fileBytes > s.bytes ? ` written (file ${count(s.fileBytes, 'byte')} allocated)` : '');

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function printStatus(s: SpillStatus, io: Io): void {
  if (!s.exists) {
    io.out(`${s.dir}: no spill directory (nothing has overflowed)`);
    return;
  }
  const oldest = s.pending.oldestAgeMs === null ? '' : `, oldest ${secs(s.pending.oldestAgeMs)} old`;
  io.out(`spill directory ${s.dir}`);
  io.out(`  pending      ${count(s.pending.files, 'file')}, ${count(s.pending.pairs, 'pair')}, ${count(s.pending.bytes, 'byte')}${oldest}`);
  io.out(`  quarantined  ${count(s.quarantined.length, 'file')}`);
  for (const q of s.quarantined) io.out(`    ${q.file}: ${q.reason ?? 'reason not recorded'}`);
  const stale = ' (stale: its holder is gone; the next claimant takes it over)';
  io.out(`  claims held  ${s.claims.length + (s.readBackLease ? 1 : 0)}`);
  if (s.readBackLease) io.out(`    read-back lease (every file without a claim of its own): refreshed ${secs(s.readBackLease.ageMs)} ago${s.readBackLease.stale ? stale : ''}`);
  for (const c of s.claims) io.out(`    ${c.file}: refreshed ${secs(c.ageMs)} ago${c.stale ? stale : ''}`);
  for (const t of s.unfinished) io.out(`  unfinished   ${t.file}: ${secs(t.ageMs)} old (a write in progress, or abandoned by a dead writer)`);
  for (const name of s.skipped) io.out(`  skipped      ${name}: not a regular file, never read`);
  if (s.quarantined.length) io.out('  fix a quarantined file, then: provq spill retry <file>   (or --salvage for its valid lines)');
}
