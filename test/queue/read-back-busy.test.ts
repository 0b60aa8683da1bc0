// A spill file of this queue's that must be read back on its own (its merged call named
// records the sink did not know) while another process holds its claim (a `provq spill
// replay`, say): the queue waits for it. Until its pairs are in the sink, flush() does not
// report them durable.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from '../../src/sink.js';
import { takeLock, type HeldLock } from '../../src/spill/claim-lock.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const spillFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl'));

describe('read-back of a file another process holds', () => {
  // Checked: with read-back.ts's `if (!claim) return 'busy'` made `return ''`, the busy file
  // was taken as read back (its entry in the queue's own files dropped) and flush() resolved
  // true while the sink had none of its pairs: the first flush expectation failed.
  it("an own spill file to be read back alone, claimed by another process, is not reported durable until its pairs are in the sink", async () => {
    const dir = join(tempDir(), 'spill');
    let phase: 'down' | 'unknown' | 'up' = 'down';
    let other: HeldLock | null = null;
    const written: ProvenancePair[] = [];
    const sink: ProvenanceSink = {
      async appendProvenanceBatch(pairs: ProvenancePair[], ctx?: SinkWriteContext): Promise<SinkWriteResult | void> {
        if (phase === 'down') throw new Error('injected: sink down');
        if (phase === 'unknown' && ctx?.replayed) {
          phase = 'up';
          // Another process claims the file now, as `provq spill replay` would.
          other = await takeLock(join(dir, spillFiles(dir)[0]!), 'other process', { staleMs: 60_000, logger: silentLogger });
          return { unknownRecords: pairs };
        }
        written.push(...pairs);
      },
    };
    const q = new ProvenanceWriteQueue(sink, { spillDir: dir, logger: silentLogger, durability: 'memory', idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 20, maxAttempts: 2, exitHook: false });
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    cleanups.push(() => other?.release());
    q.start();
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    expect(await until(() => q.stats().spilledFiles === 1, 30_000), 'the failing sink sent the pairs to a spill file').toBe(true);
    phase = 'unknown';
    expect(await until(() => other !== null, 30_000), 'read back once, and claimed by the other process').toBe(true);

    expect(await q.flush(1500)).toBe(false);
    expect(written).toEqual([]);
    expect(spillFiles(dir)).toHaveLength(1);

    await other!.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(written.map(([, e]) => e.cue)).toEqual(['a', 'b']);
    expect(spillFiles(dir)).toEqual([]);
  });
});
