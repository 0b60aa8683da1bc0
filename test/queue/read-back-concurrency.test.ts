// Read-back keeps to the sink's limit on calls in flight, also when a round holds a file
// too big to merge (streamed on its own) next to small ones that are merged.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { RecordingSink } from '../helpers/sinks.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The default sink: one call at a time (no maxConcurrentWrites); each call takes 20 ms. */
class OneAtATimeSink extends RecordingSink {
  override delayMs = 20;
}

/** A queue-format spill file of `count` pairs of about `padBytes` each. */
async function bigSpillFile(dir: string, count: number, padBytes: number): Promise<void> {
  const ids = reserveEntryIds(count);
  const pad = 'x'.repeat(padBytes);
  const pairs: ProvenancePair[] = Array.from({ length: count }, (_, i) => [
    'r1',
    { ts: new Date().toISOString(), cue: `big-${i}`, sessionId: 's', pad, entryId: formatEntryId(ids.ms, ids.seq0 + i) },
  ]);
  await new SpillWriter(dir).append(pairs);
}

describe('read-back and maxConcurrentWrites', () => {
  // Checked: with a too-big file replayed from inside the read-ahead (load), as before, its
  // call ran beside the merged calls of the 3,000-pair file before it: 2 calls in flight for
  // a sink that allows 1 (and the newer file's pairs arrived before the older file's last).
  it('a small file and a file too big to merge after it: never more than one call in flight, every pair once', async () => {
    const spillDir = join(tempDir(), 'spill');
    await writeQueueSpillFile(spillDir, 'r1', Array.from({ length: 3000 }, (_, i) => `small-${i}`));
    await bigSpillFile(spillDir, 50, 100_000); // 5 MB: over the 4 MiB merge limit
    const sink = new OneAtATimeSink();
    const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', exitHook: false });
    q.start();
    cleanups.push(() => q.stop());
    const pending = () => readdirSync(spillDir).filter((n) => n.endsWith('.jsonl'));
    expect(await until(() => pending().length === 0, 30_000)).toBe(true);
    expect(sink.cues().filter((c) => c.startsWith('small-'))).toHaveLength(3000);
    expect(sink.cues().filter((c) => c.startsWith('big-'))).toHaveLength(50);
    expect(sink.maxInFlight).toBe(1);
  });
});
