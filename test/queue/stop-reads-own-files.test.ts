// stop() drains the queue's own spill files: a file the queue wrote while its sink was held
// is read back before stop() resolves — stop() does not leave its own files for a later start
// while the sink takes pairs again.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const jsonlFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.jsonl')) : []);

// Checked (session 13): with read-back.ts's `picksOf` skipping the queue's own files while it
// stops (`!this.host.ownFiles.has(name)` → `this.host.ownFiles.has(name)`, a mutant that
// survived the queue area's run), stop() waits out its 20 s deadline and the spilled pairs
// stay in the file: the sink has c1 and c2 of the 6 cues when it resolves.
it('stop() reads back the spill file the queue wrote while its sink was held, before it resolves: every pair in the sink, no file left', async () => {
  const spillDir = join(tempDir(), 'spill');
  const sink = new RecordingSink();
  sink.hold();
  cleanups.push(() => sink.release()); // even if an expectation fails
  // A long idle poll: nothing is read back but what stop() itself waits for.
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', maxQueueSize: 2, maxBatchPairs: 1, coalesceMs: 0, idlePollMs: 60_000, exitHook: false });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  const cues = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
  for (const c of cues) q.enqueue([pair('r1', c)]);
  // The sink is held: only the overflow path writes the file.
  expect(await until(() => q.stats().spilledPairs > 0 && jsonlFiles(spillDir).length > 0, 30_000)).toBe(true);

  const stopped = q.stop({ timeoutMs: 20_000 });
  sink.release();
  await stopped;
  expect([...sink.cues()].sort()).toEqual(cues);
  expect(jsonlFiles(spillDir)).toEqual([]);
  expect(q.stats()).toMatchObject({ writtenPairs: 6, pendingPairs: 0 });
  expect(q.stats().respooledPairs).toBe(q.stats().spilledPairs);
});
