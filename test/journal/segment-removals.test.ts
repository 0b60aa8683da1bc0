// Saved segments are deleted in the thread pool while the queue runs. Held there, a
// segment keeps its claim (no other process may read it back while its file exists), and
// stop() does not return with one left behind.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { holdThreadPool } from '../helpers/thread-pool.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('-journal.jsonl')).sort();
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** A queue whose sink holds every call, after 20 turns of 20 pairs into 8 KiB segments (several rotated). */
async function heldQueueWithSegments(): Promise<{ base: string; journalDir: string; sink: RecordingSink; q: ProvenanceWriteQueue }> {
  const base = tempDir();
  const journalDir = join(base, 'journal');
  const sink = new RecordingSink();
  sink.hold();
  const q = new ProvenanceWriteQueue(sink, { spillDir: join(base, 'spill'), journalDir, logger: silentLogger, exitHook: false, coalesceMs: 0, idlePollMs: 20, journalSegmentBytes: 8 * 1024 });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  for (let t = 0; t < 20; t++) {
    q.enqueue(Array.from({ length: 20 }, (_, i) => pair('r1', `t${t}-${i}`)));
    await nextTurn();
  }
  return { base, journalDir, sink, q };
}

describe('deleting saved journal segments', () => {
  // Checked: with the claim released when the unlink is handed to the pool (s.unlock() in
  // inBackground, before the unlink), the held segments have no claim and the expectation on
  // locks fails; with its removal queued then instead (unlockInBackground before the
  // unlink), stop() leaves the claims behind and the last expectation fails; with removeAll not finishing the removals under way
  // (`this.removals.finish()` left out), stop() returns with the segments still there.
  it('keeps a saved segment claimed until its file is gone, and stop() finishes the unlinks still waiting', async () => {
    const { base, journalDir, sink, q } = await heldQueueWithSegments();
    const rotated = segments(journalDir).slice(0, -1); // every segment but the current one
    expect(rotated.length).toBeGreaterThan(1);

    const pool = holdThreadPool(base);
    cleanups.push(() => pool.release());
    sink.release(); // every pair saved: the rotated segments are let go, their unlinks wait in the held pool
    expect(await until(() => sink.pairs.length === 400, 30_000)).toBe(true);
    expect(await q.flush(10_000)).toBe(true);
    for (let i = 0; i < 5; i++) await nextTurn();
    // Still there, and still claimed: a reader finds the claim of a live process.
    for (const s of rotated) {
      expect(existsSync(join(journalDir, s)), `${s} was unlinked with the pool held`).toBe(true);
      expect(existsSync(join(journalDir, `${s}.lock`)), `${s} lost its claim before its file was gone`).toBe(true);
    }

    // The worker's own look at the spill dir waits in the held pool too, so stop() ends at its
    // deadline here, saving what is left: either way, no segment and no claim stays behind.
    await q.stop({ timeoutMs: 500 });
    expect(readdirSync(journalDir).filter((n) => n.includes('-journal.jsonl'))).toEqual([]);
    await pool.release();
  });

  // Checked: with finish() not removing the claims whose directory waits in the pool (the
  // `unclaiming` loop left out), stop() returns with their `.lock` directories left behind.
  it('stop() removes the claims of deleted segments whose directories still wait in the pool', async () => {
    const { base, journalDir, sink, q } = await heldQueueWithSegments();
    const rotated = segments(journalDir).slice(0, -1);
    expect(rotated.length).toBeGreaterThan(1);

    // The pool takes its work in order: the unlinks queue behind the first hold, the second
    // hold behind them, and the claims' rmdirs (queued when an unlink ends) behind that.
    mkdirSync(join(base, 'a'));
    mkdirSync(join(base, 'b'));
    const first = holdThreadPool(join(base, 'a'));
    cleanups.push(() => first.release());
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    for (let i = 0; i < 5; i++) await nextTurn();
    const second = holdThreadPool(join(base, 'b'));
    cleanups.push(() => second.release());
    await first.release(); // the unlinks run, then the second hold takes every thread
    expect(await until(() => rotated.every((s) => !existsSync(join(journalDir, s))), 10_000)).toBe(true);
    for (let i = 0; i < 5; i++) await nextTurn();
    for (const s of rotated) expect(existsSync(join(journalDir, `${s}.lock`)), `${s}'s claim was removed with the pool held`).toBe(true);

    await q.stop({ timeoutMs: 500 });
    expect(readdirSync(journalDir).filter((n) => n.includes('-journal.jsonl'))).toEqual([]);
    await second.release();
  });
});
