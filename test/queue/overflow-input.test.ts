// A batch bound for overflow is written as spill lines straight from the caller's pairs (no
// copy), and the journal takes those bytes. What reaches the journal and the sink is the
// pairs as they were at enqueue, each field read once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenanceEntry, ProvenancePair } from '../../src/schemas.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { segmentText } from '../helpers/spill-files.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A queue whose memory holds one batch, in front of a sink held closed until released. */
function heldQueue() {
  const sink = new RecordingSink();
  sink.hold();
  const journalDir = join(tempDir(), 'journal');
  const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), journalDir, maxQueueSize: 1, coalesceMs: 5000, logger: silentLogger, exitHook: false });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }), () => sink.release());
  return { sink, q, journalDir };
}

/** Every journal line's entry, by cue. */
function journaledCues(journalDir: string): unknown[] {
  const cues: unknown[] = [];
  for (const name of readdirSync(journalDir).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of segmentText(join(journalDir, name)).split('\n').filter(Boolean)) {
      cues.push((JSON.parse(line) as { entry: ProvenanceEntry }).entry.cue);
    }
  }
  return cues;
}

describe('overflow taken from the caller’s pairs', () => {
  // Checked: with acceptOverflow sending every batch down the general path (parsePairs:
  // the check reads cue once and the copy reads it again), the sink gets cue 5 — an entry
  // the schema refuses, which read back from a file would quarantine the file whole.
  it('reads each field once: a getter answering differently later cannot put an invalid entry in the queue', async () => {
    const { sink, q } = heldQueue();
    q.enqueue([pair('r1', 'in memory')]);
    let reads = 0;
    const hostile = { ts: new Date().toISOString(), sessionId: 's1' } as Record<string, unknown>;
    Object.defineProperty(hostile, 'cue', { enumerable: true, get: () => (reads++ === 0 ? 'first answer' : 5) });
    q.enqueue([['r1', hostile as ProvenanceEntry]]); // memory is full: overflow
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues()).toEqual(['in memory', 'first answer']);
  });

  // Checked: with the journal given the caller's batch (journal.add of the caller's pairs)
  // instead of overflow's bytes, the journal holds the changed cue.
  it('journals an overflowed pair as it was at enqueue, also when the caller changes it in the same turn', async () => {
    const { sink, q, journalDir } = heldQueue();
    q.enqueue([pair('r1', 'in memory')]);
    const batch: ProvenancePair[] = [pair('r1', 'as enqueued'), pair('r2', 'as enqueued too')];
    q.enqueue(batch); // overflow
    batch[0]![1].cue = 'changed after enqueue';
    batch[1]![0] = 'r-changed';
    await Promise.resolve(); // the journal writes at the end of the turn's microtasks
    await new Promise((r) => setImmediate(r));
    expect(journaledCues(journalDir).sort()).toEqual(['as enqueued', 'as enqueued too', 'in memory']);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.pairs.map(([r, e]) => `${r} ${e.cue}`)).toEqual(['r1 in memory', 'r1 as enqueued', 'r2 as enqueued too']);
  });
});
