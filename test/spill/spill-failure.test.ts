// The disk under the spill directory fails (really full, or really not a directory), then heals.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { tempDir } from '../helpers/temp.js';
import { brokenSpillDir as brokenDir } from '../../faults/disk-faults.js';
import { removeScratchDirs } from '../../faults/scenario.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { until } from '../helpers/until.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(removeScratchDirs);

/** A spill dir whose writes fail (a full tmpfs, or a file in the way), cleaned up after the test. */
function brokenSpillDir() {
  const broken = brokenDir();
  cleanups.push(() => broken.dispose());
  return broken;
}

describe('spill failures', () => {
  // Checked (session 6): with the recovery line's test (`failures > 0`) made true or
  // false, its block or fields emptied, `failures++` made `--`, or the failure line's fields
  // emptied (overflow.ts), the log expectations below fail.
  it('keeps pairs in memory while the disk fails, logs once per episode, never fails recall, and catches up when healed', async () => {
    const { spillDir, heal, kind } = brokenSpillDir();
    const errors: string[] = [];
    const errorFields: object[] = [];
    const infos: { fields: object; msg: string }[] = [];
    const logger: Logger = {
      debug() {},
      info: (fields, msg) => void infos.push({ fields, msg }),
      warn() {},
      error: (fields, msg) => {
        errors.push(msg);
        errorFields.push(fields);
      },
    };
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger });
    cleanups.push(() => store.close());
    for (let i = 0; i < 5; i++) await store.insert({ id: `r${i}`, text: `memory about topic ${i}` });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    cleanups.push(() => open()); // runs before close, so the drain can finish
    const real = store.appendProvenanceBatch.bind(store);
    store.appendProvenanceBatch = async (pairs) => {
      await gate;
      return real(pairs);
    };
    const q = store.enableProvenanceQueue({ spillDir, maxQueueSize: 2, maxBatchPairs: 1, coalesceMs: 0, retryBaseMs: 10, retryMaxMs: 50 });
    let hits = 0;
    for (let i = 0; i < 200; i++) hits += (await store.recall({ cue: 'memory topic', sessionId: 's', k: 2 })).length;
    expect(hits).toBe(400);
    expect(await until(() => q.stats().spillErrors >= 3, 30_000)).toBe(true); // retried with backoff
    expect(q.stats().pendingPairs).toBe(400); // counted, still held
    expect(q.stats().spilledPairs).toBe(0);
    expect(errors.filter((m) => m.includes('spill directory'))).toHaveLength(1); // once per episode
    // What an operator needs: where, how many pairs wait, what failed.
    expect(errorFields[errors.findIndex((m) => m.includes('spill directory'))]).toMatchObject({ spillDir, pairs: expect.any(Number), err: expect.anything() });
    expect(infos.filter((l) => l.msg.includes('spilling works again'))).toEqual([]);
    heal();
    expect(await until(() => q.stats().spilledPairs > 0, 30_000), kind).toBe(true);
    // The episode's end, once, with how many attempts failed.
    const recovered = infos.filter((l) => l.msg.includes('spilling works again'));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.fields).toMatchObject({ spillDir, afterFailures: q.stats().spillErrors });
    // A later spill, with the disk healthy, has nothing to say.
    const files = q.stats().spilledFiles;
    for (let i = 0; i < 100; i++) await store.recall({ cue: 'memory topic', sessionId: 's', k: 2 });
    expect(await until(() => q.stats().spilledFiles > files, 30_000)).toBe(true);
    expect(infos.filter((l) => l.msg.includes('spilling works again'))).toHaveLength(1);
    open();
    expect(await q.flush(15_000)).toBe(true);
    let entries = 0;
    for (let i = 0; i < 5; i++) entries += (await store.get(`r${i}`))!.provenance.length;
    expect(entries).toBe(600);
  });

  it('hands overflow to a working sink while the disk fails, instead of holding it for the disk', async () => {
    const { spillDir } = brokenSpillDir();
    const sink = new RecordingSink();
    sink.delayMs = 5; // slower than the producer: the 2-batch queue overflows
    const q = new ProvenanceWriteQueue(sink, { spillDir, maxQueueSize: 2, maxBatchPairs: 4, coalesceMs: 0, logger: silentLogger });
    q.start();
    cleanups.push(() => q.stop());
    for (let i = 0; i < 100; i++) q.enqueue([pair('r1', `c${i}`)]);
    expect(q.stats().spilledPairs).toBe(0);
    expect(await q.flush(10_000)).toBe(true); // the disk never heals
    expect(sink.cues()).toHaveLength(100);
    expect(new Set(sink.cues()).size).toBe(100);
    expect(q.stats()).toMatchObject({ writtenPairs: 100, pendingPairs: 0, spilledPairs: 0 });
  });

  // Checked: with `&& this.canSpill` dropped from either test in addOverflow (the spill
  // before a batch is added, or after), every enqueue past 4,096 waiting pairs tries the
  // full disk again on the caller's turn: spillErrors reaches hundreds and this fails.
  it('while the disk fails, enqueue does not try it again on every call past 4,096 waiting pairs: once per backoff, and nothing is lost', async () => {
    const { spillDir } = brokenSpillDir();
    const sink = new RecordingSink();
    sink.hold();
    cleanups.push(() => sink.release());
    // A backoff of 2.5-5 s: no retry is due while the burst below runs.
    const q = new ProvenanceWriteQueue(sink, { spillDir, durability: 'memory', maxQueueSize: 1, maxBatchPairs: 1, coalesceMs: 0, retryBaseMs: 5000, retryMaxMs: 5000, logger: silentLogger });
    q.start();
    cleanups.push(() => q.stop({ timeoutMs: 5000 }));
    for (let i = 0; i < 6000; i++) q.enqueue([pair('r1', `c${i}`)]);
    expect(q.stats()).toMatchObject({ spillErrors: 1, spilledPairs: 0, pendingPairs: 6000 });
    sink.release(); // the disk never heals: overflow moves into memory as the sink frees room
    expect(await q.flush(30_000)).toBe(true);
    expect(sink.cues()).toHaveLength(6000);
    expect(new Set(sink.cues()).size).toBe(6000);
  });
});

