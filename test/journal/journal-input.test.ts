// With the journal, a batch memory takes is checked and copied by parsePairs, and the copy is
// journaled at the end of the turn: the journal and memory hold the pair as it was at
// enqueue — never the caller's objects. (Session 16 built a one-pass path for these batches
// and took it out again: it moved the formatting into enqueue's own time, row 1.)
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvenanceEntry, ProvenancePair, SpillLine } from '../../src/schemas.js';
import { heldJournalQueue, journalLines, TS } from '../helpers/journal-queue.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const nextTurn = () => new Promise((r) => setImmediate(r));
const heldQueue = () => heldJournalQueue(cleanups);

/** A plain pair with fields of every primitive kind. */
function entryPair(i: number): ProvenancePair {
  const entry: ProvenanceEntry = { ts: TS, cue: `cue ${i}`, sessionId: 's1', rank: i % 10, score: 1 / (i + 1), seen: i % 2 === 0, note: null };
  return [`r${i % 7}`, entry];
}

describe('a batch memory takes, with the journal', () => {
  // Checked: with parsePairs' fast path keeping the caller's entry (no copy), the sink gets
  // the changed cue and the record the caller renamed.
  it('keeps the pair as it was at enqueue: the caller changing it in the same turn changes neither the journal nor the sink', async () => {
    const { sink, q, journalDir } = heldQueue();
    const b: ProvenancePair[] = [entryPair(1), entryPair(2)];
    q.enqueue(b);
    b[0]![1].cue = 'changed after enqueue';
    b[0]![1].rank = 99;
    b[1]![0] = 'r-renamed';
    await nextTurn();
    expect(journalLines(journalDir).map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(['cue 1', 'cue 2']);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.pairs.map(([r, e]) => `${r} ${e.cue} ${String(e.rank)}`)).toEqual(['r1 cue 1 1', 'r2 cue 2 2']);
  });

  // Checked: with parsePairs returning the caller's entry after checking it (the getter read
  // again later), the sink and the journal get 5 — an entry the schema refuses.
  it('reads each field once: a getter answering differently later cannot make the journal and memory differ', async () => {
    const { sink, q, journalDir } = heldQueue();
    let reads = 0;
    const hostile = { ts: TS, sessionId: 's1' } as Record<string, unknown>;
    Object.defineProperty(hostile, 'cue', { enumerable: true, get: () => (reads++ === 0 ? 'first answer' : 5) });
    q.enqueue([['r1', hostile as ProvenanceEntry]]);
    await nextTurn();
    expect(journalLines(journalDir).map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(['first answer']);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues()).toEqual(['first answer']);
  });
});
