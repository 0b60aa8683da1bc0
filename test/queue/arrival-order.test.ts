// A sink that keeps one call in flight (maxConcurrentWrites 1, the default) may keep a
// record's history in the order pairs arrive (an append-only log): read back, pairs reach it
// in enqueue order also when a call fails on the way — a failed chunk of a streamed file is
// searched from its start before any later pair is sent, and a round of files stops at a
// file the sink deferred. (Sinks that declare several calls keep order in their keys; the
// halving search stays theirs.) A file read again after a failure sends its pairs again:
// entry ids make that a no-op, so the order judged is that of each pair's first arrival.
//
// Checked (each reverted, this file run, the source restored): read-back.ts's `inOrder`
// made false (the halving search, as before) — the 4-call case failed, c7250–c7499 arriving
// ahead of c7000–c7249 (the shape of session 15's CI failure of read-back-deferred.test.ts);
// the probe past a refused first pair sent with the usual retries (refused-search.ts's
// `send(..., true)` without `true`) — the probe case failed, c7001 arriving ahead of c7000;
// merged-read-back.ts's stop after a deferred file removed — the last case failed, the small
// files' c15000–c15599 arriving ahead of c7000; merged send()'s `sinkFailed ||` removed (a
// round going on past a failed call) — the merged case failed too, later files ahead of the
// failed call's.
//
// Not kept, so not tested: a search must send a pair without the first refused one to tell a
// refusal from a sink that is down, so a sink that refuses a pair's second try alone and takes
// the very next call (the probe, one call later, no task between) gets the two swapped.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext } from '../../src/sink.js';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Records the cue of every pair in the order it arrives; fails `failCalls` calls once a call
 * holds `failAt` — or, with `backAfter`, every call until it has refused `backAfter` alone,
 * and then works again from the next task on (as a sink whose outage ends by a timer or I/O).
 */
class ArrivalSink implements ProvenanceSink {
  readonly arrived: string[] = [];
  private failing = 0;
  private armed = true;
  private down = false;
  constructor(
    private readonly failAt: string,
    private readonly failCalls: number,
    private readonly backAfter?: string,
  ) {}

  appendProvenanceBatch(pairs: ProvenancePair[], ctx?: SinkWriteContext): void {
    if (this.armed && pairs.some(([, e]) => e.cue === this.failAt)) {
      this.armed = false;
      this.failing = this.failCalls;
      this.down = this.backAfter !== undefined;
    }
    if (this.down) {
      if (pairs.length === 1 && pairs[0]![1].cue === this.backAfter) setImmediate(() => (this.down = false));
      throw new Error(`injected: sink down (replayed: ${ctx?.replayed})`);
    }
    if (this.failing > 0) {
      this.failing--;
      throw new Error(`injected: sink failing (replayed: ${ctx?.replayed})`);
    }
    for (const [, e] of pairs) this.arrived.push(e.cue);
  }

  /** Each pair at its first arrival (a file read again after a failure sends some again). */
  firstArrivals(): string[] {
    return [...new Set(this.arrived)];
  }
}

let next = 0;
/** Spill files as a queue writes them, each holding `sizes[i]` pairs with their ids, in enqueue order. */
async function spillFiles(dir: string, sizes: number[], pad: string): Promise<string[]> {
  const cues: string[] = [];
  for (const size of sizes) {
    const ids = reserveEntryIds(size);
    const pairs: ProvenancePair[] = Array.from({ length: size }, (_, i) => {
      const cue = `c${next++}`;
      cues.push(cue);
      return ['r1', { ts: new Date().toISOString(), cue, sessionId: 's', pad, entryId: formatEntryId(ids.ms, ids.seq0 + i) }];
    });
    await new SpillWriter(dir).append(pairs);
  }
  return cues;
}

/**
 * Reads the files back through a queue. retryMaxMs 0: no backoff, and the breaker is over as
 * soon as it opens, so only the read-back's own rules keep later pairs behind a failure.
 */
async function readBackThrough(sink: ArrivalSink, dir: string, total: number): Promise<void> {
  const q = new ProvenanceWriteQueue(sink, {
    spillDir: dir, logger: silentLogger, durability: 'memory', idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 0,
    maxAttempts: 2, maxBatchPairs: 500, exitHook: false,
  });
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  q.start();
  expect(await until(() => new Set(sink.arrived).size >= total && readdirSync(dir).every((n) => !n.endsWith('.jsonl')), 60_000), 'every pair in the sink, every file gone').toBe(true);
  expect(readdirSync(dir).filter((n) => n.includes('.failed-')), 'nothing set aside').toEqual([]);
}

describe('a sink with one call in flight gets read-back pairs in enqueue order', () => {
  // A 6.5 MiB file (streamed on its own, in chunks of 500): the chunk holding c7000 fails for
  // 2 calls (its own: the search finds the sink working), 4 (its first pair alone once:
  // the halving search sent c7250–c7499 ahead of c7000), or 8 (the sink is down: the file waits).
  for (const failCalls of [2, 4, 8]) {
    it(`a streamed file whose chunk fails for ${failCalls} calls mid-file, then the sink works`, { timeout: 120_000 }, async () => {
      const dir = join(tempDir(), 'spill');
      next = 0;
      const cues = await spillFiles(dir, [15_000], 'p'.repeat(300));
      const sink = new ArrivalSink('c7000', failCalls);
      await readBackThrough(sink, dir, cues.length);
      expect(sink.firstArrivals()).toEqual(cues);
    });
  }

  it('a streamed file whose chunk fails until the sink comes back right after its probe past the first pair', { timeout: 120_000 }, async () => {
    const dir = join(tempDir(), 'spill');
    next = 0;
    const cues = await spillFiles(dir, [15_000], 'p'.repeat(300));
    // Down from c7000's chunk on: c7000 refused alone twice, then c7001 alone (the probe) is
    // refused, and the sink is back in the next task — where a retry of the probe would get
    // c7001 in ahead of c7000. One try: the file waits and is read again, in order.
    const sink = new ArrivalSink('c7000', 0, 'c7001');
    await readBackThrough(sink, dir, cues.length);
    expect(sink.firstArrivals()).toEqual(cues);
  });

  it('a merged round of small files whose second call fails', { timeout: 120_000 }, async () => {
    const dir = join(tempDir(), 'spill');
    next = 0;
    const cues = await spillFiles(dir, [300, 300, 300, 300, 300, 300], '');
    // c700 is in the second call (pairs 500–999): both its attempts fail, its files are read alone.
    const sink = new ArrivalSink('c700', 2);
    await readBackThrough(sink, dir, cues.length);
    expect(sink.firstArrivals()).toEqual(cues);
  });

  it('small files behind a streamed file the sink deferred', { timeout: 120_000 }, async () => {
    const dir = join(tempDir(), 'spill');
    next = 0;
    const cues = await spillFiles(dir, [15_000, 300, 300], 'p'.repeat(300));
    // The big file's chunk at c7000 fails until the file is deferred; the round must stop
    // there, not go on to the small files (the breaker does not hold them: retryMaxMs 0).
    const sink = new ArrivalSink('c7000', 8);
    await readBackThrough(sink, dir, cues.length);
    expect(sink.firstArrivals()).toEqual(cues);
  });
});
