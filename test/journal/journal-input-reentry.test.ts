// A getter of the caller's runs while enqueue reads a batch: one that enqueues, or that adds
// a pair to the batch being read, must still leave every pair journaled once, as spillLine
// writes it, with an id of its own, and queued in the order of its ids (flush's frontier and
// the journal's release read memory's first batch). Written by breaker16 against session 16's
// one-pass path for batches memory takes (ea3f1ce: ids reserved before the walk, lines
// written where an inner enqueue wrote too), where each case failed; that path was taken out
// again (it moved the formatting into enqueue: row 1). On the code kept, memory's batches are
// read by parsePairs before their ids are reserved: checked, with the ids reserved first
// (enqueue's general path reserving, then parsePairs), all three cases fail. The second also
// goes through overflow's one-pass read (acceptOverflow).
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvenancePair } from '../../src/schemas.js';
import { expectJournaledOnce, heldJournalQueue, plain, withGetter } from '../helpers/journal-queue.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const nextTurn = () => new Promise((r) => setImmediate(r));
const heldQueue = (opts: { maxQueueSize?: number } = {}) => heldJournalQueue(cleanups, opts);

describe('a getter of the caller run while enqueue walks the batch', () => {
  // Checked on the one-pass path (ea3f1ce, since taken out): without the fix, the inner batch's line overwrites the outer's first one (rA0
  // is in no line, rB in two, rA1's torn), and flush resolves true with the sink empty
  // (memory's first batch was the inner one, with the higher ids).
  it('that enqueues: every pair journaled once, intact, and flush waits for all of them, delivered in id order', async () => {
    const { sink, q, journalDir } = heldQueue();
    // The inner batch's lines are longer than what the walk wrote before the getter ran.
    const inner = Array.from({ length: 5 }, (_, k) => plain(`rB${k}`, `b${k}`));
    const outer = [plain('rA0', 'a0'), ['rA1', withGetter('a1', () => q.enqueue(inner))] as ProvenancePair, plain('rA2', 'a2')];
    q.enqueue(outer);
    await nextTurn();
    const cues = ['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'b3', 'b4'];
    const ids = expectJournaledOnce(journalDir, cues);
    const flushed = q.flush(10_000);
    expect(sink.pairs).toHaveLength(0);
    sink.release();
    expect(await flushed).toBe(true);
    expect(sink.cues().sort()).toEqual(cues);
    expect(sink.pairs.map(([, e]) => e.entryId)).toEqual(sink.pairs.map(([, e]) => ids.get(e.cue)));
    const delivered = sink.pairs.map(([, e]) => e.entryId!);
    expect(delivered).toEqual([...delivered].sort());
  });

  // Checked on the one-pass path (8e72a7b, since taken out): with enqueueOwned's branch for the walk removed, the second inner batch (memory
  // full) goes to overflow, whose lines the journal copies over the outer's first line.
  it('that calls enqueueOwned past a full memory: every pair journaled once, intact, and delivered in id order', async () => {
    const { sink, q, journalDir } = heldQueue({ maxQueueSize: 1 });
    const inner = Array.from({ length: 5 }, (_, k) => plain(`rB${k}`, `b${k}`));
    const getter = withGetter('a1', () => {
      q.enqueueOwned([plain('rM', 'fills memory')]);
      q.enqueueOwned(inner);
    });
    q.enqueue([plain('rA0', 'a0'), ['rA1', getter], plain('rA2', 'a2')]);
    await nextTurn();
    const cues = ['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'b3', 'b4', 'fills memory'];
    expectJournaledOnce(journalDir, cues);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues().sort()).toEqual(cues);
    const delivered = sink.pairs.map(([, e]) => e.entryId!);
    expect(delivered).toEqual([...delivered].sort());
  });

  // Checked on the one-pass path (ea3f1ce, since taken out): without the fix, the pushed pair is journaled with the sequence the next
  // enqueue's first pair gets too (ids reserved for the batch's length before the walk):
  // in the same millisecond one id on two lines, and the sink, keeping an id once, loses one.
  it('that adds a pair to the batch: every pair journaled once, with an id of its own', async () => {
    const { sink, q, journalDir } = heldQueue();
    const batch: ProvenancePair[] = [plain('rA0', 'a0')];
    batch.push(['rA1', withGetter('a1', () => batch.push(plain('rA2', 'a2')))]);
    q.enqueue(batch);
    q.enqueue([plain('rC', 'c')]);
    await nextTurn();
    expectJournaledOnce(journalDir, ['a0', 'a1', 'a2', 'c']);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(new Set(sink.pairs.map(([, e]) => e.entryId)).size).toBe(4);
  });
});
