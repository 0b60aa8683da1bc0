// A batch bound for overflow is written into overflow's run as the caller's pairs are read
// (OverflowLines.addInput), its ids reserved before. A getter of the caller's runs during
// that walk: one that enqueues, or that adds a pair to the batch being read, must still
// leave every pair journaled once, as spillLine writes it, with an id of its own, queued
// in the order of its ids (flush's frontier reads overflow's first run), and delivered.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvenancePair } from '../../src/schemas.js';
import { expectJournaledOnce, heldJournalQueue, plain, withGetter } from '../helpers/journal-queue.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const nextTurn = () => new Promise((r) => setImmediate(r));
const heldQueue = (opts: { maxQueueSize?: number } = {}) => heldJournalQueue(cleanups, opts);

describe('a getter of the caller run while a batch bound for overflow is read', () => {
  // Checked: without the fix (ea3f1ce), the inner batch went into the same run from the
  // same offset: the outer batch's pairs were in no journal line, and flush resolved true
  // with the sink empty. With the inner batches queued at once instead of after (the
  // deferral removed, the inner taking the general path), the run is torn the same way.
  // enqueueOwned (a store's recall from the getter): checked the same way, by removing its branch.
  it.each(['enqueue', 'enqueueOwned'] as const)('that calls %s: every pair journaled once, intact, and flush waits for all of them, delivered in id order', async (via) => {
    const { sink, q, journalDir } = heldQueue({ maxQueueSize: 1 });
    q.enqueue([plain('r0', 'in memory')]);
    q.enqueue([plain('r1', 'overflow first')]); // the run the outer batch's lines go on in
    const inner = Array.from({ length: 5 }, (_, k) => plain(`rB${k}`, `b${k}`));
    const outer = [plain('rA0', 'a0'), ['rA1', withGetter('a1', () => q[via](inner))] as ProvenancePair, plain('rA2', 'a2')];
    q.enqueue(outer);
    await nextTurn();
    const cues = ['in memory', 'overflow first', 'a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'b3', 'b4'];
    const ids = expectJournaledOnce(journalDir, cues);
    const flushed = q.flush(10_000);
    sink.release();
    expect(await flushed).toBe(true);
    expect(sink.cues().sort()).toEqual([...cues].sort());
    expect(sink.pairs.map(([, e]) => e.entryId)).toEqual(sink.pairs.map(([, e]) => ids.get(e.cue)));
    const delivered = sink.pairs.map(([, e]) => e.entryId!);
    expect(delivered).toEqual([...delivered].sort());
  });

  // Checked: without the length check in OverflowLines (ea3f1ce), the pushed pair's line is
  // in the run with the sequence the next enqueue's first pair gets too, and the run counts
  // a pair fewer than its lines.
  it('that adds a pair to the batch: every pair journaled once, with an id of its own, and delivered', async () => {
    const { sink, q, journalDir } = heldQueue({ maxQueueSize: 1 });
    q.enqueue([plain('r0', 'in memory')]);
    q.enqueue([plain('r1', 'overflow first')]);
    const batch: ProvenancePair[] = [plain('rA0', 'a0')];
    batch.push(['rA1', withGetter('a1', () => batch.push(plain('rA2', 'a2')))]);
    q.enqueue(batch);
    q.enqueue([plain('rC', 'c')]);
    await nextTurn();
    const cues = ['in memory', 'overflow first', 'a0', 'a1', 'a2', 'c'];
    expectJournaledOnce(journalDir, cues);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues().sort()).toEqual([...cues].sort());
  });
});
