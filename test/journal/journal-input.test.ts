// With the journal, a batch memory takes is checked, journaled and copied in one pass
// (JournalWriter.addInput): the journal's lines are spillLine's bytes, in enqueue order with
// the batches that take the general path, and memory keeps a copy made from the same
// reads as the line — never the caller's objects.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenanceEntry, ProvenancePair, SpillLine } from '../../src/schemas.js';
import { spillLine } from '../../src/spill/spill-writer.js';
import { TurnLines } from '../../src/journal/turn-lines.js';
import { RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { segmentText } from '../helpers/spill-files.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const nextTurn = () => new Promise((r) => setImmediate(r));
const TS = '2026-12-01T18:00:00.000Z';

/** A queue with the journal whose sink holds every pair until released. */
function heldQueue() {
  const sink = new RecordingSink();
  sink.hold();
  const journalDir = join(tempDir(), 'journal');
  const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), journalDir, logger: silentLogger, exitHook: false });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 5000 }), () => sink.release());
  return { sink, q, journalDir };
}

/** Every line of the journal's segments, oldest segment first. */
function journalLines(journalDir: string): string[] {
  return readdirSync(journalDir)
    .filter((n) => n.endsWith('-journal.jsonl'))
    .sort()
    .flatMap((n) => segmentText(join(journalDir, n)).split('\n').filter((l) => l !== ''));
}

/** A plain pair (the one-pass path's) with fields of every kind it takes, or, `odd`, one the general path takes. */
function entryPair(i: number, odd = false): ProvenancePair {
  const entry: ProvenanceEntry = { ts: TS, cue: odd ? `thé ${i}` : `cue ${i}`, sessionId: 's1', rank: i % 10, score: 1 / (i + 1), seen: i % 2 === 0, note: null };
  return [`r${i % 7}`, entry];
}

describe('a batch memory takes, with the journal', () => {
  // Checked: with addInput's lines held after the general path's batches (the turn's items
  // out of order), or the line's id written from another sequence than the copy's, this
  // fails; with the mid-turn write of a burst removed it still passes (that only bounds the
  // buffer), and the burst's lines are checked like the rest.
  it('is journaled as spillLine writes it, in enqueue order with general-path batches, and the sink gets the same pairs and ids', async () => {
    const { sink, q, journalDir } = heldQueue();
    const sent: ProvenancePair[] = [];
    let n = 0;
    const batch = (size: number, oddAt = -1) => Array.from({ length: size }, (_, k) => entryPair(n++, k === oddAt));
    for (let turn = 0; turn < 6; turn++) {
      for (const b of [batch(10), batch(10, 3), batch(10), batch(1), batch(10, 9)]) {
        q.enqueue(b);
        sent.push(...b);
      }
      await nextTurn();
    }
    // A burst in one turn: more than a MiB of lines, written in pieces before the turn ends.
    for (let k = 0; k < 900; k++) {
      const b = batch(10, k % 97 === 0 ? 0 : -1);
      q.enqueue(b);
      sent.push(...b);
    }
    await nextTurn();
    const lines = journalLines(journalDir);
    expect(lines).toHaveLength(sent.length);
    const ids = lines.map((l) => (JSON.parse(l) as SpillLine).entryId!);
    expect(lines.join('\n') + '\n').toBe(sent.map(([r, e], i) => spillLine([r, { ...e, entryId: ids[i]! }])).join(''));
    sink.release();
    expect(await q.flush(30_000)).toBe(true);
    expect(sink.pairs.map(([r, e]) => JSON.stringify([r, e]))).toEqual(sent.map(([r, e], i) => JSON.stringify([r, { ...e, entryId: ids[i]! }])));
  });

  // Checked: with addInput keeping the caller's entry (no copy), the sink gets the changed
  // cue and the record the caller renamed.
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

  // Checked: with the copy's field read from the entry again (a second read), the sink gets
  // 5 — an entry the schema refuses — while the journal holds 'first answer'.
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

describe('TurnLines.addInput', () => {
  // Checked: with addInput always false (every batch parsePairs' path), the first case fails.
  it('takes a batch of plain pairs whole, with the copies parsePairs would make, and refuses one with a pair it does not take, adding nothing', () => {
    const written: Buffer[] = [];
    const turn = new TurnLines((bytes) => written.push(Buffer.from(bytes)));
    const plain = [entryPair(1), entryPair(2)];
    const copies: ProvenancePair[] = new Array(2);
    expect(turn.addInput(plain, 1767225600000, 40, copies)).toBe(true);
    expect(copies).toEqual(plain);
    expect(copies[0]![1]).not.toBe(plain[0]![1]);
    expect(turn.addInput([entryPair(3), entryPair(4, true)], 1767225600000, 42, new Array(2))).toBe(false);
    turn.flush(256 * 1024);
    expect(Buffer.concat(written).toString('utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(['cue 1', 'cue 2']);
  });
});
