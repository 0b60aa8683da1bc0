// The exit drain's way down when its first choice fails (real child processes): the sink's
// sync write, else a spill file, else the spill lines on stderr — every pair, once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkload } from '../../faults/child.js';
import { auditCues, readCues } from '../../faults/audit.js';
import type { WorkloadConfig } from '../../faults/workload.js';
import { spillLineSchema } from '../../src/schemas.js';
import { tempDir } from '../helpers/temp.js';

const PAIRS = 2000; // ~200 KB of spill lines: more than a pipe buffer holds
const RECORDS = 10;

/** Spill lines grouped by record, in the order they appear (a file's, or stderr's). */
function cuesOfLines(lines: string[]): Map<string, string[]> {
  const cues = new Map<string, string[]>();
  for (const l of lines) {
    const { recordId, entry } = spillLineSchema.parse(JSON.parse(l));
    cues.set(recordId, [...(cues.get(recordId) ?? []), entry.cue]);
  }
  return cues;
}

function config(extra: Partial<WorkloadConfig>): WorkloadConfig {
  // Pairs kept in memory only (no journal to recover them from): the exit drain alone saves them.
  return { storePath: tempDir(), ending: 'exit', pairs: PAIRS, records: RECORDS, syncWriteFails: true, ...extra };
}

describe('exit drain fallbacks (real child processes)', () => {
  // Checked: with saveSync returning after a failed sync write (no spill), the spill dir is
  // missing and this fails.
  it('the sync write fails at exit: every pending pair is in a spill file, once and in order; exit code unchanged', async () => {
    const cfg = config({ exitCode: 3, queue: { coalesceMs: 60_000, durability: 'memory' } });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(3);
    const spillDir = join(cfg.storePath, 'provenance-overflow');
    const lines = readdirSync(spillDir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .flatMap((n) => readFileSync(join(spillDir, n), 'utf8').split('\n').filter((l) => l !== ''));
    expect(auditCues(cuesOfLines(lines), 'c', PAIRS)).toEqual({ durable: PAIRS, lost: 0, duplicated: 0, orderViolations: 0 });
    const stored = await readCues(cfg.storePath, RECORDS);
    expect([...stored.values()].flat()).toEqual([]); // not written twice: the store has none of them yet
  });

  // Checked: with the stderr dump removed, stderr holds no line and this fails. (A single
  // writeSync also passes here: the parent reads the pipe as it fills, so the retry on EAGAIN
  // is not reached; a full pipe nobody reads is the fault suite's business.)
  it('the sync write and the spill dir both fail: every pending pair is a spill line on stderr (a pipe)', async () => {
    const storePath = tempDir();
    const blocked = join(storePath, 'blocked');
    const cfg = config({
      storePath,
      spillDirBlocker: blocked,
      queue: { coalesceMs: 60_000, durability: 'memory', spillDir: join(blocked, 'spill') },
    });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{"recordId"'));
    expect(auditCues(cuesOfLines(lines), 'c', PAIRS)).toEqual({ durable: PAIRS, lost: 0, duplicated: 0, orderViolations: 0 });
  });

  // The exit drain journals the exiting turn's pairs only when it cannot save them: here.
  // Checked: with leaveForRecovery no longer writing the pending lines, the journal holds
  // none of them and this fails.
  it('journal mode, the sync write and the spill dir both fail: every pending pair stays in the journal for the next start', async () => {
    const storePath = tempDir();
    const blocked = join(storePath, 'blocked');
    const cfg = config({ storePath, spillDirBlocker: blocked, queue: { coalesceMs: 60_000, spillDir: join(blocked, 'spill') } });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(0);
    const journalDir = join(storePath, 'provenance-journal');
    const lines = readdirSync(journalDir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .flatMap((n) => readFileSync(join(journalDir, n), 'utf8').split('\n').filter((l) => l !== ''));
    expect(auditCues(cuesOfLines(lines), 'c', PAIRS)).toEqual({ durable: PAIRS, lost: 0, duplicated: 0, orderViolations: 0 });
  });
});
