// flush() resolving true must mean every pair enqueued before it is in the sink, also while
// the worker reads the spill dir back and overflow spills new files into it at the same time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { smallFs } from '../helpers/small-fs.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('flush while read-back lists the spill dir', () => {
  // A spill file of ours missing from a listing was applied by another process — unless it
  // was spilled while the directory was being read. Many quarantined files (never read
  // again) make each listing long; tmpfs makes a spill quick enough to land inside one.
  // Checked: with every own file missing from the listing taken as gone (no snapshot before
  // the listing), 29 of 100 flushes resolved true with the overflow pair only in a spill
  // file (2 of 150 on ext4 with 4,000 files, 41 of 300 with 20,000).
  it('an overflow file spilled during a listing is not forgotten: flush() true only once its pair is in the sink', async () => {
    const fs = smallFs(64);
    cleanups.push(() => fs.unmount());
    const spillDir = join(fs.dir, 'spill');
    mkdirSync(spillDir, { mode: 0o700 });
    for (let i = 0; i < 8000; i++) writeFileSync(join(spillDir, `0000000000001-${String(i).padStart(6, '0')}-1.failed-1.jsonl`), '');
    const sink = new RecordingSink();
    const q = new ProvenanceWriteQueue(sink, {
      spillDir,
      logger: silentLogger,
      coalesceMs: 0,
      durability: 'memory',
      maxQueueSize: 1, // the second batch of a turn overflows and is spilled
      idlePollMs: 1, // the idle worker lists the dir again and again
      exitHook: false,
    });
    q.start();
    cleanups.push(() => q.stop());
    for (let i = 0; i < 100; i++) {
      q.enqueue([pair('r', `memory ${i}`)]);
      q.enqueue([pair('r', `overflow ${i}`)]);
      expect(await q.flush(10_000)).toBe(true);
      expect(sink.cues()).toContain(`overflow ${i}`);
      await new Promise((r) => setTimeout(r, i % 5)); // land at different points of a listing
    }
    expect(q.stats().spilledFiles).toBeGreaterThan(20); // most overflow went through a file (some moved back to memory first)
  }, 60_000);
});
