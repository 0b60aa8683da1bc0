// The exit drain's way down when its first choice fails (real child processes): the sink's
// sync write, else a spill file, else the spill lines on stderr — every pair, once.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkload } from '../../faults/child.js';
import { auditCues, readCues } from '../../faults/audit.js';
import type { WorkloadConfig } from '../../faults/workload.js';
import type { Logger } from '../../src/log.js';
import { ProvenanceWriteQueue, type QueueStats } from '../../src/queue/provenance-write-queue.js';
import { spillLineSchema, type ProvenancePair, type SpillLine } from '../../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext } from '../../src/sink.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
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
  // Checked (session 9, exit mutation run survivors): with the failed sync write's log line
  // given no fields (`{}`), no message (`""`), or its catch emptied (falling through to
  // the spill without a word), the operator is not told why the pairs are in a spill file
  // and not the store, and the log expectation fails.
  it('the sync write fails at exit: every pending pair is in a spill file, once and in order; exit code unchanged; the log says why', async () => {
    const cfg = config({ exitCode: 3, logToStderr: true, queue: { coalesceMs: 60_000, durability: 'memory' } });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(3);
    const logged = r.stderr.split('\n').filter((l) => l.startsWith('{"level"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ reason: 'exit(3)', pairs: PAIRS, msg: 'sync sink write failed', err: expect.objectContaining({ message: 'injected: sync sink write failed' }) }),
    );
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
  // Checked (session 9, exit mutation run survivors): with the error line before the dump
  // given no fields (`{}`) or no message (`""`), the operator is not told what the lines
  // that follow are, or how many, and the log expectation fails.
  it('the sync write and the spill dir both fail: every pending pair is a spill line on stderr (a pipe), after a line saying what they are', async () => {
    const storePath = tempDir();
    const blocked = join(storePath, 'blocked');
    const cfg = config({
      storePath,
      spillDirBlocker: blocked,
      logToStderr: true,
      queue: { coalesceMs: 60_000, durability: 'memory', spillDir: join(blocked, 'spill') },
    });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(0);
    const all = r.stderr.split('\n');
    const lines = all.filter((l) => l.startsWith('{"recordId"'));
    expect(auditCues(cuesOfLines(lines), 'c', PAIRS)).toEqual({ durable: PAIRS, lost: 0, duplicated: 0, orderViolations: 0 });
    const said = all.findIndex((l) => l.startsWith('{"level"') && /spill lines follow on stderr/.test(l));
    expect(said).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(all[said]!)).toMatchObject({ reason: 'exit(0)', pairs: PAIRS });
    expect(said).toBeLessThan(all.indexOf(lines[0]!));
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

/** A sink whose async calls hang (a dead connection) and whose sync write works or throws. */
class HungSyncSink extends RecordingSink {
  readonly syncCalls: { cues: string[]; context: SinkWriteContext | undefined }[] = [];
  syncFails = false;
  constructor() {
    super();
    this.hold();
  }
  appendProvenanceBatchSync(pairs: ProvenancePair[], context?: SinkWriteContext): void {
    if (this.syncFails) throw new Error('sync write refused');
    this.syncCalls.push({ cues: pairs.map(([, e]) => e.cue), context });
  }
}

function recordingLogger(): { logger: Logger; lines: { level: string; fields: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: object, msg: string) => void lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Enqueues a, b, c into a queue over `sink` and stops it at a deadline the hung sink cannot meet. */
async function stopAtDeadline(sink: ProvenanceSink, logger: Logger): Promise<{ stats: QueueStats; spillDir: string }> {
  const spillDir = tempDir();
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger, durability: 'memory', exitHook: false, coalesceMs: 0 });
  q.start();
  q.enqueue([pair('r1', 'a'), pair('r1', 'b'), pair('r2', 'c')]);
  await q.stop({ timeoutMs: 300 });
  return { stats: q.stats(), spillDir };
}

const spillFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.jsonl')) : []);

describe('saving at a stop deadline (in process: the same saveSync as the exit drain)', () => {
  // Checked: with the deadline's order made the exit's (`first === 'spill'` made false), the
  // hung sink's sync write takes the pairs and this fails; with the log's fields emptied
  // (`{}`) or its message emptied, the operator is not told why, how many, or which files.
  it("a hung sink: the pending pairs go to one spill file in order, not through its sync write, and the log names the file", async () => {
    const sink = new HungSyncSink();
    const { logger, lines } = recordingLogger();
    const { stats, spillDir } = await stopAtDeadline(sink, logger);
    const files = spillFiles(spillDir);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(spillDir, files[0]!), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(['a', 'b', 'c']);
    expect(sink.syncCalls).toEqual([]);
    expect(stats).toMatchObject({ writtenPairs: 0, spilledPairs: 3, spilledFiles: 1 });
    expect(lines).toContainEqual({ level: 'info', fields: { reason: 'stop deadline', pairs: 3, files }, msg: expect.stringContaining('spilled') });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  // Checked: with the sync write skipped (`if (!sink.appendProvenanceBatchSync) return null`
  // made unconditional), the pairs reach only stderr and this fails; with the context
  // argument dropped, the sink is not told they are validated fresh pairs; with
  // `{ to: 'sink' }` returned as `null`, the same; with the spill's error log emptied, the
  // operator is not told why the spill failed.
  it("a spill dir that cannot be written: the sink's sync write takes the pairs, counted written, and the log says why", async () => {
    const sink = new HungSyncSink();
    const { logger, lines } = recordingLogger();
    const spillDir = tempDir();
    const blocked = join(spillDir, 'spill');
    const q = new ProvenanceWriteQueue(sink, { spillDir: blocked, logger, durability: 'memory', exitHook: false, coalesceMs: 0 });
    q.start();
    writeFileSync(blocked, 'not a directory'); // made after start: every spill fails
    q.enqueue([pair('r1', 'a'), pair('r1', 'b'), pair('r2', 'c')]);
    await q.stop({ timeoutMs: 300 });
    expect(sink.syncCalls).toEqual([{ cues: ['a', 'b', 'c'], context: { replayed: false, validated: true } }]);
    expect(q.stats()).toMatchObject({ writtenPairs: 3, spilledPairs: 0 });
    expect(lines).toContainEqual({
      level: 'error',
      fields: expect.objectContaining({ reason: 'stop deadline', pairs: 3, err: expect.objectContaining({ message: expect.any(String) }) }),
      msg: expect.stringContaining('could not spill'),
    });
  });
});

describe('saving at a stop deadline, a sink without a sync write', () => {
  // Checked (session 9, exit mutation run survivor): with `if (!sink.appendProvenanceBatchSync)
  // return null` made false, the missing method is called, and its TypeError is logged as
  // "sync sink write failed" — an error the sink never had — and this fails. With halt()'s
  // `this.journal?.leaveForRecovery()` made `this.journal.leaveForRecovery()` (no journal in
  // memory mode), stop() rejects with a TypeError instead of resolving, and this fails too.
  it('a spill dir that cannot be written: the pairs go to stderr, and the log blames the spill dir, not the sink', async () => {
    const sink = new RecordingSink(); // async only, like most custom sinks
    sink.hold();
    const { logger, lines } = recordingLogger();
    const spillDir = tempDir();
    const blocked = join(spillDir, 'spill');
    const q = new ProvenanceWriteQueue(sink, { spillDir: blocked, logger, durability: 'memory', exitHook: false, coalesceMs: 0 });
    q.start();
    writeFileSync(blocked, 'not a directory'); // made after start: every spill fails
    q.enqueue([pair('r1', 'stderr-dump-test a')]); // one spill line on this test process's stderr
    await q.stop({ timeoutMs: 300 });
    // (A read-back that finds the blocked dir may log its own error too, or not, by timing.)
    const errors = lines.filter((l) => l.level === 'error').map((l) => l.msg);
    expect(errors).toContainEqual(expect.stringContaining('could not spill'));
    expect(errors).toContainEqual(expect.stringContaining('spill lines follow on stderr'));
    expect(errors.filter((m) => m.includes('sync sink'))).toEqual([]);
  });
});
