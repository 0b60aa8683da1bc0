// A journal fsync that fails for real (ext4 on a loop device whose backing tmpfs is full,
// test/helpers/failing-disk.ts), on the segment still being written: every pair so far fits
// one segment, so the failed segment is the current one. fsync-failure.test.ts has the case
// of several segments, where the one that fails is most often rotated already (its
// neighbours then take the rewrite whatever this file's behaviours do).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { failingDisk } from '../helpers/failing-disk.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

/** The cues of every whole, parseable journal line in `dir` (a line of zeros from a lost page is not one). */
function journaledCues(dir: string): Set<string> {
  const cues = new Set<string>();
  for (const n of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('-journal.jsonl')) : []) {
    for (const line of readFileSync(join(dir, n), 'utf8').split('\n')) {
      try {
        cues.add((JSON.parse(line) as { entry: { cue: string } }).entry.cue);
      } catch {
        // torn, or zeros where the kernel never wrote the page
      }
    }
  }
  return cues;
}

describe('a journal fsync that fails on the segment being written', () => {
  // Checked (session 10, journal mutation run survivors of journal-writer.ts, each applied
  // by hand, this test run, the source restored):
  // - the FsyncFailures host's `held` made `s !== this.current` (the current segment taken
  //   for one already removed): its failure is ignored and nothing is rewritten; the failed
  //   segment stays the one written to, and is still there once "fsync succeeds again" is said;
  // - `retire` emptied (the failed segment keeps taking writes: the rewrite goes into it,
  //   and a later fsync of it proves nothing): "fsync succeeds again" never comes;
  // - `remove` emptied (failed segments kept once the rewrite is on disk): the failed
  //   segment is still in the journal dir, to be read back, zeros and all, after a crash.
  it('journals the unsaved pairs again in a fresh segment, removes the failed one once that is on disk, and a power cut keeps every pair', { timeout: 60_000 }, async () => {
    const disk = failingDisk();
    cleanups.push(() => disk.unmount());
    const journalDir = join(disk.dir, 'journal');
    const lines: LogLine[] = [];
    const at = (level: string) => (fields: object, msg: string) => void lines.push({ level, fields: fields as Record<string, unknown>, msg });
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const sink = new RecordingSink();
    sink.hold(); // nothing reaches the sink: the journal is every pair's only copy on disk
    const q = new ProvenanceWriteQueue(sink, {
      spillDir: join(tempDir(), 'spill'),
      journalDir,
      journalSegmentBytes: 64 * 1024 * 1024, // every pair in one segment
      fsyncMs: 50,
      coalesceMs: 0,
      sinkTimeoutMs: 120_000,
      exitHook: false,
      logger,
    });
    q.start();
    cleanups.push(async () => {
      sink.release();
      await q.stop({ timeoutMs: 5000 });
    });

    disk.starve(1024 * 1024); // 1 MiB of writeback left; ~3 MiB are journaled
    const pad = 'p'.repeat(1000);
    const cues: string[] = [];
    for (let t = 0; t < 30; t++) {
      const batch = Array.from({ length: 100 }, (_, i) => pair('r1', `c${t * 100 + i}`, { pad }));
      cues.push(...batch.map(([, e]) => e.cue));
      q.enqueue(batch);
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(await until(() => q.stats().journalErrors > 0, 30_000)).toBe(true);
    const failed = lines.find((l) => l.level === 'error' && l.msg.startsWith('journal fsync failed'));
    const failedFile = String(failed?.fields.file);
    expect(failedFile).toMatch(/^\d{13}-\d{6}-\d+-journal\.jsonl$/);

    disk.feed();
    expect(await until(() => lines.some((l) => l.msg.startsWith('journal fsync succeeds again')), 30_000)).toBe(true);
    expect(existsSync(join(journalDir, failedFile))).toBe(false);
    expect(q.stats().pendingPairs).toBe(cues.length); // still unsaved: the journal is what protects them

    const cut = disk.powerCut();
    const onDisk = journaledCues(join(cut.dir, 'journal'));
    expect(cues.filter((c) => !onDisk.has(c))).toEqual([]);
    cut.unmount();

    sink.release();
    expect(await q.flush(20_000)).toBe(true);
    expect(sink.cues()).toEqual(cues);
  });
});
