// Pairs that overflowed wait, in order, behind the pairs in memory: pairs enqueued later
// never get ahead of them, so the queue's frontier (flush, journal release) sees the oldest.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('overflow and pairs enqueued after it', () => {
  // Checked: with enqueue putting a batch in memory whenever memory had room, also while
  // older batches waited in overflow, 'later' went in front of 'overflowed' when the
  // overflow moved into memory; their spill file was then booked under 'later''s sequence,
  // and the flush resolved true once the files before it were read back, with 'overflowed'
  // not yet in the sink.
  it('a flush waiting for an overflowed pair resolves only once that pair is in the sink', async () => {
    const sink = new RecordingSink();
    sink.failNext = 1; // the first call fails: the breaker opens for 400-800 ms
    sink.delayMs = 50; // read-back's calls take a while each
    const q = new ProvenanceWriteQueue(sink, {
      spillDir: join(tempDir(), 'spill'),
      logger: silentLogger,
      durability: 'memory',
      maxQueueSize: 2,
      maxBatchPairs: 1,
      coalesceMs: 5000, // the overflow's own spill waits; the worker's batches are full at 1 pair
      maxAttempts: 1,
      retryBaseMs: 200,
      exitHook: false,
    });
    q.start();
    cleanups.push(() => q.stop({ timeoutMs: 200 }));
    let spills = 0;
    q.on('spilled', () => {
      // The worker has sent memory to disk while the sink is down, and not yet refilled
      // memory from overflow: a pair enqueued now finds room in memory.
      if (++spills === 2) q.enqueue([pair('r1', 'later')]);
    });
    q.enqueue([pair('r1', 'first')]); // its call fails: spilled
    expect(await until(() => spills === 1, 30_000)).toBe(true);
    q.enqueue([pair('r1', 'm1')]);
    q.enqueue([pair('r1', 'm2')]); // memory is full (2 batches)
    q.enqueue([pair('r1', 'overflowed')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues()).toContain('overflowed');
  });
});
