// Overflow is held as spill lines (bytes), not pair objects: what it writes to spill files,
// what it hands back to memory as room frees, and what reaches a real store must be exactly
// the pairs enqueued — each once, in order, with every field as given.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { brokenSpillDir } from '../../faults/disk-faults.js';
import { removeScratchDirs } from '../../faults/scenario.js';
import { silentLogger } from '../../src/log.js';
import { Backlog } from '../../src/queue/backlog.js';
import { OverflowLines, runLines } from '../../src/queue/overflow-lines.js';
import { SpillScheduler } from '../../src/queue/overflow.js';
import { pendingBatch, type PendingBatch } from '../../src/queue/pending-batches.js';
import { FRESH_CALLS_MAX } from '../../src/queue/queue-parts.js';
import type { ProvenanceEntry, ProvenancePair } from '../../src/schemas.js';
import { spillLine, SpillWriter } from '../../src/spill/spill-writer.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(removeScratchDirs);

const RECORDS = ['r0', 'r1', 'r2'];

/** Pair i: mostly what recall makes, every 7th with strings the byte encoder leaves to JSON.stringify, one far longer than a 256 KiB run. */
function entryFor(i: number): ProvenanceEntry {
  const entry: ProvenanceEntry = { ts: '2026-11-30T12:00:00.000Z', cue: `cue ${i}`, sessionId: 's1', rank: i % 5, score: i / 7 };
  if (i % 7 === 3) entry.cue = `"quoted" back\\slash ünïcödé 🎉 line\nbreak ${i}`;
  if (i % 11 === 5) entry.extra = { tags: ['a', 'b'], nested: { x: null, y: true, z: [1.5, -2] } };
  if (i === 150) entry.cue = `big ${'x'.repeat(300 * 1024)}`;
  return entry;
}

function batchesOf(total: number, sizes: number[]): ProvenancePair[][] {
  const batches: ProvenancePair[][] = [];
  for (let i = 0, k = 0; i < total; k++) {
    const n = Math.min(sizes[k % sizes.length]!, total - i);
    batches.push(Array.from({ length: n }, (_, j) => [RECORDS[(i + j) % RECORDS.length]!, entryFor(i + j)] as ProvenancePair));
    i += n;
  }
  return batches;
}

/** A real store whose appendProvenanceBatch waits at a gate (the fake is at the sink interface only), counting each entryId it is given. */
async function gatedStore() {
  const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
  for (const id of RECORDS) await store.insert({ id, text: `record ${id}` });
  let open!: () => void;
  let gate: Promise<void> = new Promise((r) => (open = r));
  const delivered = new Map<string, number>();
  let delayMs = 0;
  let entered = 0;
  const real = store.appendProvenanceBatch.bind(store);
  store.appendProvenanceBatch = async (pairs) => {
    entered++;
    await gate;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    for (const [, e] of pairs) delivered.set(e.entryId!, (delivered.get(e.entryId!) ?? 0) + 1);
    return real(pairs);
  };
  cleanups.push(() => store.close());
  cleanups.push(() => open()); // before close, so the queue can drain
  return {
    store,
    delivered,
    /** Sink calls made so far, held ones included. */
    entered: () => entered,
    release: () => open(),
    hold: () => (gate = new Promise((r) => (open = r))),
    slow: (ms: number) => (delayMs = ms),
  };
}

/** Every record's history in the store matches the pairs enqueued for it: same entries, same order, each once. */
async function expectStoreHolds(store: LmdbMemoryStore, batches: ProvenancePair[][]) {
  for (const id of RECORDS) {
    const want = batches.flat().filter(([r]) => r === id).map(([, e]) => e);
    const got = (await store.get(id))!.provenance;
    expect(got.map(({ entryId, ...rest }) => rest)).toEqual(want);
    expect(new Set(got.map((e) => e.entryId)).size).toBe(got.length);
  }
}

function spillFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
}

describe('overflow held as spill lines', () => {
  // Checked: with runLines starting at 0 instead of readAt, the pairs sink calls took from
  // overflow are spilled again and written twice, and this fails; with takePairs decoding
  // from the run's start instead of readAt, it fails too.
  //
  // The order is made, not hoped for: the spill's coalescing window is 60 s, so nothing is
  // spilled until the sink's held calls fill every slot it declares (taking all of memory and
  // then some of overflow); a second enqueue then passes the spill-at-once size and the spill
  // takes the rest. (Was coalesceMs 600: at load the worker started no call within 600 ms,
  // the spill took all of overflow first, and `spilledPairs < 1488` failed — 1 run in 6.)
  it('pairs sink calls take from overflow, and the rest that is spilled, reach the store once each, in order', async () => {
    const { store, delivered, entered, release } = await gatedStore();
    const q = store.enableProvenanceQueue({ maxQueueSize: 4, maxBatchPairs: 1, coalesceMs: 60_000, exitHook: false, logger: silentLogger });
    const batches = batchesOf(4500, [3]);
    for (const b of batches.slice(0, 500)) q.enqueue(b); // one turn: 4 batches (12 pairs) in memory, 1,488 pairs in overflow
    expect(await until(() => entered() === FRESH_CALLS_MAX, 30_000), `sink calls entered: ${entered()}`).toBe(true);
    const heldCalls = entered();
    expect(heldCalls).toBeGreaterThan(12); // more calls than memory had pairs: the rest took from overflow
    expect(q.stats().spilledPairs).toBe(0);
    for (const b of batches.slice(500)) q.enqueue(b); // overflow now past a file's worth: spilled at once
    expect(await until(() => q.stats().spilledPairs > 0, 30_000)).toBe(true);
    release();
    expect(await q.flush(60_000)).toBe(true);
    const s = q.stats();
    expect(s.spilledPairs).toBeGreaterThan(0); // the spill took the rest...
    expect(s.spilledPairs).toBeLessThanOrEqual(4500 - heldCalls); // ...after sink calls had taken some
    expect(s.writtenPairs).toBe(4500);
    expect([...delivered.values()].every((n) => n === 1)).toBe(true);
    expect(delivered.size).toBe(4500);
    await expectStoreHolds(store, batches);
  });

  // Checked: with the general path's line written without its outer entryId, the spill line
  // check fails; with a line longer than a run put into a run-size buffer, the line is cut
  // (Buffer.write) and this fails.
  it('writes every overflowed pair to its spill file as spillLine would, and the store ends with exactly what was enqueued', async () => {
    const { store, release } = await gatedStore();
    const spillDir = join(tempDir(), 'spill');
    const q = store.enableProvenanceQueue({ spillDir, maxQueueSize: 2, coalesceMs: 0, exitHook: false, logger: silentLogger });
    const batches = batchesOf(600, [1, 5, 2, 7]);
    for (const b of batches) q.enqueue(b);
    // Held: the pairs past memory and the call in flight can only have gone to spill files.
    expect(await until(() => q.stats().spilledPairs + q.stats().writtenPairs >= 600 - 2 * 7 - 7, 20_000), JSON.stringify(q.stats())).toBe(true);
    let lines = 0;
    for (const name of spillFiles(spillDir)) {
      for (const line of readFileSync(join(spillDir, name), 'utf8').split('\n').slice(0, -1)) {
        const rec = JSON.parse(line) as { recordId: string; entryId: string; entry: ProvenanceEntry };
        expect(rec.entry.entryId).toBeUndefined(); // the id once, on the line
        expect(`${line}\n`).toBe(spillLine([rec.recordId, { ...rec.entry, entryId: rec.entryId }]));
        lines++;
      }
    }
    expect(lines).toBe(q.stats().spilledPairs);
    release();
    expect(await q.flush(60_000)).toBe(true);
    await expectStoreHolds(store, batches);
  });
});

describe('OverflowLines', () => {
  // Checked: with takePairs decoding from the run's start instead of readAt, the second take
  // returns the first pairs again and this fails; with a part's sequence number left as it
  // was after a partial take, minSeq stays 100 and this fails.
  it('hands pairs to sink calls in order, across batches and runs, and the lines left start after them', () => {
    const lines = new OverflowLines();
    const batches: PendingBatch[] = [];
    let seq = 100;
    for (const pairs of batchesOf(3000, [4, 1, 9])) {
      const b = pendingBatch(pairs.map(([r, e]) => [r, { ...e }]), 1767225600000, seq, false);
      seq += pairs.length;
      batches.push(b);
      lines.add(b);
    }
    const all = batches.flatMap((b) => b.pairs);
    expect(lines.pairs).toBe(3000);
    expect(lines.minSeq).toBe(100);
    const first: ProvenancePair[] = [];
    expect(lines.takePairs(13, first)).toEqual({ minSeq: 100, inputIds: false }); // 4 + 1 + 8 of 9
    expect(first).toEqual(all.slice(0, 13));
    expect(lines.minSeq).toBe(113);
    const second: ProvenancePair[] = [];
    expect(lines.takePairs(1500, second).minSeq).toBe(113); // across runs (a run holds about 1,300 of these lines)
    expect(second).toEqual(all.slice(13, 1513));
    // The rest, as spill bytes: exactly the lines of the pairs not taken.
    const rest = lines.takeForSpill(Infinity);
    const text = rest.map((r) => Buffer.from(runLines(r).bytes).toString('utf8')).join('');
    expect(text).toBe(all.slice(1513).map(spillLine).join(''));
    expect(lines.pairs).toBe(0);
  });
});

describe('an overflow spill that fails', () => {
  // Checked: with the failed spill's lines always put back in front of the overflow (as
  // before this change, `overflow.unshift`), memory holds a batch newer than overflow's
  // oldest, and the order check fails. (The code before this change moved overflow into
  // memory behind that newer batch: memory's first batch was then not its oldest.)
  it('leaves memory oldest first when memory took newer pairs while it was under way', async () => {
    const broken = brokenSpillDir();
    cleanups.push(() => broken.dispose());
    const backlog = new Backlog();
    let changed = 0;
    const spill = new SpillScheduler(
      backlog,
      new SpillWriter(broken.spillDir),
      { coalesceMs: 60_000, retryBaseMs: 10, retryMaxMs: 50, syncSpillPairs: 16_384 },
      silentLogger,
      { halted: () => false, assertSpillDirOwned() {}, spilled() {}, changed: () => void changed++ },
    );
    const batch = (seq: number, n: number) => pendingBatch(batchesOf(n, [n])[0]!.map(([r, e]) => [r, { ...e }]), 1767225600000, seq, false);
    backlog.push(batch(0, 2)); // in memory
    spill.addOverflow(batch(10, 3)); // memory was full
    const spilling = (spill as unknown as { spillOverflow(): Promise<void> }).spillOverflow();
    backlog.push(batch(20, 2)); // enqueued while overflow was empty, the spill under way
    await spilling;
    expect(changed).toBe(1);
    expect(spill.spillErrors).toBe(1);
    // Memory oldest first, and all of it older than overflow: sink calls take memory, then overflow.
    const seqs = backlog.memory.toArray().map((b) => b.seq0);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(Math.max(...seqs)).toBeLessThan(backlog.overflow.minSeq);
    expect(backlog.pendingPairs).toBe(7);
    expect(backlog.oldestUnsavedSeq()).toBe(0);
  });
});
