// An own spill file too big to be merged into shared calls (over 4 MiB: it is streamed on
// its own, through the merged round's replayAlone) whose read-back the sink fails mid-way:
// the file stays, to be read again, and until its pairs are in the sink flush() does not
// report them durable. Once the sink takes them, every pair arrives once.
//
// Checked (session 11, read-back.ts "no coverage" in the queue run: the merged round's
// fileDone without its `deferred` branch — the block emptied, so a deferred file is told to
// the queue as done — applied by hand, this file run, the source restored): the queue forgot
// the file and flush() resolved true while the sink had none of its 15,000 pairs — the
// `flush(3000)` expectation failed.
//
// Arrival order checked again (session 17): with the halving search back (read-back.ts
// `inOrder: false`) and the sink's comeback moved into the right half's retry (a copy of this
// test whose sink flips phase in a setImmediate after a refused call starting at c7500), it
// failed as on session 15's CI: c7500–c14999 ahead of c0–c7499. As written, the old code
// failed it only when the flip happened to land there (once on a CI; not in 8 runs here).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext } from '../../src/sink.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('an own spill file too big to merge, whose read-back the sink fails', () => {
  it('stays, is not reported durable by flush(), and is applied whole once the sink works', { timeout: 120_000 }, async () => {
    const dir = join(tempDir(), 'spill');
    let phase: 'down' | 'replays-fail' | 'up' = 'down';
    let replayCalls = 0;
    const written: ProvenancePair[] = [];
    const sink: ProvenanceSink = {
      async appendProvenanceBatch(pairs: ProvenancePair[], ctx?: SinkWriteContext) {
        if (ctx?.replayed) replayCalls++;
        if (phase === 'down' || (phase === 'replays-fail' && ctx?.replayed)) throw new Error('injected: sink failing');
        written.push(...pairs);
      },
    };
    const q = new ProvenanceWriteQueue(sink, {
      spillDir: dir, logger: silentLogger, durability: 'memory', idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 20,
      maxAttempts: 2, maxBatchPairs: 20_000, exitHook: false,
    });
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    q.start();
    // 15,000 pairs of ~450 bytes in one call: its failure spills them to one file of ~6.5 MiB.
    const pad = 'p'.repeat(300);
    const cues = Array.from({ length: 15_000 }, (_, i) => `c${i}`);
    q.enqueue(cues.map((c) => pair('r1', c, { pad })));
    expect(await until(() => q.stats().spilledFiles === 1, 30_000), 'the failing sink sent the pairs to a spill file').toBe(true);
    phase = 'replays-fail';
    expect(await until(() => replayCalls > 0, 30_000), 'the file is being read back').toBe(true);

    expect(await q.flush(3000)).toBe(false);
    expect(written).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toHaveLength(1);

    phase = 'up';
    expect(await q.flush(60_000)).toBe(true);
    const got = written.map(([, e]) => e.cue);
    expect(got.length).toBe(cues.length);
    expect(new Set(got).size).toBe(cues.length); // each pair once
    // In the order they arrived (a sink with one call in flight may keep its history so):
    // on session 15's CI c7500–c14999 arrived ahead of c0–c7499, the halving search for
    // refused pairs sending the right half once the left had failed (refused-search.ts).
    expect(got).toEqual(cues);
    // And in the order of their entry ids, what a store's history lists by (the contract's "Order").
    const byId = [...written].sort(([, a], [, b]) => (a.entryId! < b.entryId! ? -1 : a.entryId! > b.entryId! ? 1 : 0)).map(([, e]) => e.cue);
    expect(byId).toEqual(cues);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
  });
});
