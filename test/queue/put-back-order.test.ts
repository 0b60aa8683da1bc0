// Calls in flight that fail in any order, with the spill disk full too: their pairs go
// back to memory, and the queue's frontier (flush, journal release) still sees the oldest.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { pair } from '../helpers/sinks.js';
import { smallFs } from '../helpers/small-fs.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Keeps two calls in flight, each held until the test fails it. */
class HeldCalls implements ProvenanceSink {
  readonly maxConcurrentWrites = 2;
  readonly held: { cues: string[]; fail(): void }[] = [];
  appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    return new Promise((_resolve, reject) => {
      this.held.push({ cues: pairs.map(([, e]) => e.cue), fail: () => reject(new Error('sink down')) });
    });
  }
}

describe('calls failing out of order while the spill disk is full', () => {
  // Checked: with putBack unshifting each failed call's pairs in front of memory, the later
  // call (failing second) went in front of the earlier one: the frontier read its sequence,
  // and a flush waiting for the earlier pair only resolved true while that pair was in memory.
  it('a flush waiting for the earlier call stays false when the later call fails after it', async () => {
    const fs = smallFs(1);
    cleanups.push(() => fs.unmount());
    fs.fill(); // spilling fails with ENOSPC: failed pairs go back to memory
    const sink = new HeldCalls();
    const q = new ProvenanceWriteQueue(sink, {
      spillDir: join(fs.dir, 'spill'),
      logger: silentLogger,
      durability: 'memory',
      coalesceMs: 0,
      maxBatchPairs: 1,
      maxAttempts: 1,
      retryBaseMs: 2000, // spilling is not tried again (nor the sink) for at least a second
      retryMaxMs: 60_000,
      exitHook: false,
    });
    q.start();
    cleanups.push(() => {
      fs.free(); // the pairs left at stop go to a spill file, not to stderr
      return q.stop({ timeoutMs: 200 });
    });
    q.enqueue([pair('r1', 'earlier')]);
    const flushed = q.flush(1500);
    q.enqueue([pair('r1', 'later')]);
    expect(await until(() => sink.held.length === 2, 30_000)).toBe(true);
    expect(sink.held.map((c) => c.cues)).toEqual([['earlier'], ['later']]);
    sink.held[0]!.fail();
    expect(await until(() => q.stats().writeErrors === 1 && q.stats().spillErrors === 1, 30_000)).toBe(true);
    sink.held[1]!.fail();
    expect(await until(() => q.stats().writeErrors === 2 && q.stats().spillErrors === 2, 30_000)).toBe(true);
    expect(q.stats().pendingPairs).toBe(2);
    expect(await flushed).toBe(false); // 'earlier' was never written
  });
});
