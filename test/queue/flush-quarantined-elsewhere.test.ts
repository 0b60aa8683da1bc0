// flush() is true only when everything enqueued is durable in the sink — also when a spill
// file of the queue's own is quarantined by ANOTHER process: an operator's `provq spill
// replay` while the application runs, or a second process sharing the spill dir. Found
// 2026-11-30 (breakit9): the application's file made group-writable (a `chmod -R`), replay
// quarantined it, and the queue's next read-back took the missing file for one another process
// had applied: flush() resolved true with 1 of 10 pairs in the store, the other 9 only in the
// quarantined file. Checked: with ReadBack's goneOutcome answering 'skipped' for every missing
// file (the code before), this fails (no 'quarantined' event; flush() true), 5 of 5 runs.
import { chmodSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { provq, spillDirOf } from '../cli/run-provq.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const pairOf = (cue: string): ProvenancePair => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's1' }];

/**
 * A queue on a real store whose sink call for c0 is held (one call at a time, so while it is
 * held the queue neither starts another nor reads back); c1 waits in memory and c2..c9
 * overflow to one spill file of the queue's own (`own`). `open()` lets the call go.
 */
async function ownSpillFileBehindAHeldCall(prefix: string) {
  const path = tempDir(prefix);
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  cleanups.push(() => store.close({ timeoutMs: 2000 }));
  await store.insert({ id: 'r1', text: 'one' });
  // The store as the sink, behind a gate: one call at a time, so while the first is held
  // the queue neither starts another nor reads back (it waits for the call).
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let entered = 0;
  const sink = {
    sinkId: store.sinkId,
    maxConcurrentWrites: 1,
    appendProvenanceBatch: async (pairs: ProvenancePair[]) => {
      entered++;
      await gate;
      await store.appendProvenanceBatch(pairs);
    },
  };
  const spillDir = spillDirOf(path);
  const q = new ProvenanceWriteQueue(sink, {
    spillDir, journalDir: join(path, JOURNAL_DIR_NAME), maxQueueSize: 1, coalesceMs: 0, idlePollMs: 20, exitHook: false, logger: silentLogger,
  });
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  cleanups.push(() => open());
  const quarantined: { file: string; reason: string }[] = [];
  q.on('quarantined', (e) => quarantined.push(e));
  q.start();

  q.enqueue([pairOf('c0')]);
  expect(await until(() => entered === 1, 20_000)).toBe(true); // c0 is held in the sink call
  for (let i = 1; i < 10; i++) q.enqueue([pairOf(`c${i}`)]); // c1 in memory, c2..c9 overflow to a spill file
  expect(await until(() => q.stats().spilledPairs === 8, 20_000)).toBe(true);
  const [own] = readdirSync(spillDir).filter((n) => n.endsWith('.jsonl'));
  return { path, store, spillDir, q, quarantined, own, open };
}

describe('flush() after another process quarantined a spill file of the queue’s own', () => {
  it('resolves false, and says which file: those pairs are in no sink', { timeout: 60_000 }, async () => {
    const { path, store, spillDir, q, quarantined, own, open } = await ownSpillFileBehindAHeldCall('provq-flushq-');
    chmodSync(join(spillDir, own!), 0o666); // an operator's chmod -R g+w

    const replay = await provq('spill', 'replay', '--store', path);
    expect(replay.code, replay.stdout + replay.stderr).toBe(1); // it quarantined the file
    const [as] = readdirSync(spillDir).filter((n) => n.includes('.failed-') && n.endsWith('.jsonl'));
    expect(as!.startsWith(`${own!.replace(/\.jsonl$/, '')}.failed-`)).toBe(true);

    open();
    // The queue's next read-back misses its file and finds it quarantined (before: taken for applied, no event).
    expect(await until(() => quarantined.length > 0, 20_000)).toBe(true);
    expect(quarantined.map((e) => e.file)).toEqual([own]);
    expect(await q.flush(1000)).toBe(false); // before: true
    expect(quarantined[0]!.reason).toContain(as);
    // Nothing lost: c0 and c1 in the store, c2..c9 in the quarantined file, for an operator to retry.
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['c0', 'c1']);
    const aside = readFileSync(join(spillDir, as!), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue);
    expect(aside).toEqual(['c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
  });

  // Checked (session 11, read-back.ts "no coverage" in the queue run: goneOutcome's
  // `q.startsWith(`${stem}-refused.failed-`)` made `q.endsWith(…)`, applied by hand, this file
  // run, the source restored): the queue took its file for applied, no 'quarantined' event
  // came and flush() resolved true with c5 in no sink — the wait for the event failed.
  it('resolves false when the other process applied the file but set refused pairs aside', { timeout: 90_000 }, async () => {
    const { store, spillDir, q, quarantined, own, open } = await ownSpillFileBehindAHeldCall('provq-flushr-');

    // Another process on the same spill dir, whose sink refuses c5 every time: it applies the
    // file's other pairs and sets c5 aside as `<stem>-refused.failed-…`.
    const other = new ProvenanceWriteQueue({
      sinkId: store.sinkId,
      appendProvenanceBatch: async (pairs: ProvenancePair[]) => {
        if (pairs.some(([, e]) => e.cue === 'c5')) throw new Error('injected: c5 refused');
        await store.appendProvenanceBatch(pairs);
      },
    }, { spillDir, journalDir: join(tempDir(), 'other-journal'), idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 20, maxAttempts: 2, exitHook: false, logger: silentLogger });
    other.start();
    const gone = () => !readdirSync(spillDir).includes(own!);
    expect(await until(gone, 60_000), 'the other process applied the file').toBe(true);
    await other.stop({ timeoutMs: 5000 });
    const [as] = readdirSync(spillDir).filter((n) => n.includes('-refused.failed-') && n.endsWith('.jsonl'));
    expect(as!.startsWith(`${own!.replace(/\.jsonl$/, '')}-refused.failed-`)).toBe(true);

    open();
    expect(await until(() => quarantined.length > 0, 20_000)).toBe(true);
    expect(quarantined.map((e) => e.file)).toEqual([own]);
    expect(quarantined[0]!.reason).toContain(as);
    expect(await q.flush(1000)).toBe(false);
    const cues = (await store.get('r1'))!.provenance.map((e) => e.cue);
    expect(cues).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c8', 'c9']);
  });
});
