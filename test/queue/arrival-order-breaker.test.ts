// A sink with one call in flight gets read-back pairs in file order also when a file's search
// for refused pairs opens the breaker (every refused call does, the search's last one too,
// though the search ended well): files whose merged call failed are read alone first in the
// next round, and the round stopped at the first of them still to go once the breaker was
// open — then went on to the merged files behind them. Those were claimed and read (4 MiB
// files: tens of ms) while the breaker ran out, and were sent ahead of the alone files'.
//
// Checked: with read-back.ts's alone loop breaking out to the merged round again (as before),
// this failed in 9 of 9 runs (3 invocations; c600–c3599 arrive ahead of c300–c599); with the round ended there, it passes. With
// merged-read-back.ts's `stopped` latch taken out, the second case failed 4, 5 and 6 of its 6
// runs in three invocations; with it, 18 of 18 pass.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Spill files as a queue writes them (record r1, cues c0, c1, … in enqueue order). */
async function spillFiles(dir: string, files: { pairs: number; pad: string }[]): Promise<string[]> {
  const cues: string[] = [];
  for (const { pairs: size, pad } of files) {
    const ids = reserveEntryIds(size);
    const pairs: ProvenancePair[] = Array.from({ length: size }, (_, i) => {
      const cue = `c${cues.length}`;
      cues.push(cue);
      return ['r1', { ts: new Date().toISOString(), cue, sessionId: 's', pad, entryId: formatEntryId(ids.ms, ids.seq0 + i) }];
    });
    await new SpillWriter(dir).append(pairs);
  }
  return cues;
}

/**
 * Reads `files` back through a queue with one call in flight whose sink refuses every call
 * holding `refused`; once every file is applied or set aside, the first arrivals must be the
 * files' cues in order, but `refused`.
 */
async function expectFileOrder(files: { pairs: number; pad: string }[], refused: string, opts: { idlePollMs: number; retryBaseMs: number; retryMaxMs: number; maxAttempts: number }): Promise<void> {
  const dir = join(tempDir(), 'spill');
  const cues = await spillFiles(dir, files);
  const arrived: string[] = [];
  const sink: ProvenanceSink = {
    appendProvenanceBatch(pairs) {
      if (pairs.some(([, e]) => e.cue === refused)) throw new Error(`injected: the sink refuses ${refused}`);
      for (const [, e] of pairs) arrived.push(e.cue);
    },
  };
  const q = new ProvenanceWriteQueue(sink, { spillDir: dir, logger: silentLogger, durability: 'memory', maxBatchPairs: 500, exitHook: false, ...opts });
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  q.start();
  const settled = () => readdirSync(dir).every((n) => !n.endsWith('.jsonl') || n.includes('.failed-'));
  expect(await until(settled, 60_000), 'every file applied or set aside').toBe(true);
  expect([...new Set(arrived)]).toEqual(cues.filter((c) => c !== refused));
}

// Three runs: the breaker's length is jittered, and a cold first run reads slower.
for (const run of [1, 2, 3]) {
  it(`files read alone after a failed merged call arrive ahead of the files behind them, past a search that set a pair aside (run ${run})`, { timeout: 120_000 }, async () => {
    // A (c0–c299, the sink refuses c299) and B (c300–c599) share the first merged call (500
    // pairs), which fails: both are read alone next round. A's search sets c299 aside with the
    // breaker open (30–60 ms); then ten ~3.7 MB files (not alone) wait behind B.
    const big = Array.from({ length: 10 }, () => ({ pairs: 3000, pad: 'p'.repeat(1100) }));
    await expectFileOrder([{ pairs: 300, pad: '' }, { pairs: 300, pad: '' }, ...big], 'c299', { idlePollMs: 20, retryBaseMs: 15, retryMaxMs: 60, maxAttempts: 2 });
  });
}

// Six runs: whether the breaker is over by the time the next file is read depends on timing.
for (const run of [1, 2, 3, 4, 5, 6]) {
  it(`a merged round stops at the first file it leaves for a sink that is down, also once the breaker is over (run ${run})`, { timeout: 120_000 }, async () => {
    // A (c0–c1052) is read alone after its merged call fails (the sink refuses c484): its
    // search sets c484 aside and opens the breaker (10–40 ms), and A ends with a few calls the
    // sink takes. Then the merged round: B (c1053, one pair) is read first and left (the breaker
    // is open); C (c1054–c3838, ~3.5 MB) is read after it.
    const pad = 'p'.repeat(1000);
    await expectFileOrder([{ pairs: 1053, pad }, { pairs: 1, pad }, { pairs: 2785, pad }, { pairs: 22, pad }], 'c484', { idlePollMs: 10, retryBaseMs: 10, retryMaxMs: 40, maxAttempts: 1 });
  });
}
