// provq spill status [--store PATH | --dir DIR] [--json]: what is waiting, what is stuck, who holds what.
import { spillStatus, type SpillStatus } from '../../spill/spill-status.js';
import { CLAIM_STALE_MS, parseArgs, statusArgsSchema, storeSpillDir } from '../args.js';
import type { Io } from '../io.js';

export async function spillStatusCommand(raw: unknown, io: Io): Promise<number> {
  const args = parseArgs(statusArgsSchema, raw);
  const dir = args.dir ?? storeSpillDir(args.store!);
  const status = await spillStatus(dir, { staleMs: CLAIM_STALE_MS });
  if (args.json) io.out(JSON.stringify(status, null, 2));
  else printStatus(status, io);
  return 0;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function printStatus(s: SpillStatus, io: Io): void {
  if (!s.exists) {
    io.out(`${s.dir}: no spill directory (nothing has overflowed)`);
    return;
  }
  const oldest = s.pending.oldestAgeMs === null ? '' : `, oldest ${secs(s.pending.oldestAgeMs)} old`;
  io.out(`spill directory ${s.dir}`);
  io.out(`  pending      ${s.pending.files} files, ${s.pending.pairs} pairs, ${s.pending.bytes} bytes${oldest}`);
  io.out(`  quarantined  ${s.quarantined.length} files`);
  for (const q of s.quarantined) io.out(`    ${q.file}: ${q.reason ?? 'reason not recorded'}`);
  io.out(`  claims held  ${s.claims.length}`);
  for (const c of s.claims) {
    io.out(`    ${c.file}: refreshed ${secs(c.ageMs)} ago${c.stale ? ' (stale: its holder is gone; the next claimant takes it over)' : ''}`);
  }
  for (const t of s.unfinished) io.out(`  unfinished   ${t.file}: ${secs(t.ageMs)} old (a write in progress, or abandoned by a dead writer)`);
  for (const name of s.skipped) io.out(`  skipped      ${name}: not a regular file, never read`);
  if (s.quarantined.length) io.out('  fix a quarantined file, then: provq spill retry <file>   (or --salvage for its valid lines)');
}
