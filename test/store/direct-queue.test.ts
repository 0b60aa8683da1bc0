// A queue built directly on a store (`new ProvenanceWriteQueue(store, ...)`) gets the
// store's calls in flight, as one the store starts itself does: the store is the sink, and
// declares them (a custom sink gets 1).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { SinkWriteContext } from '../../src/sink.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a queue built directly on an LmdbMemoryStore', () => {
  // Checked against its revert (the store without a maxConcurrentWrites of its own): one
  // call at a time, most 1, and this fails.
  it('keeps several of the store’s calls in flight, and writes every pair once', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => store.close());
    await store.insert({ id: 'r1', text: 'one' });
    let inFlight = 0;
    let most = 0;
    const write = store.appendProvenanceBatch.bind(store);
    // Watched at the sink interface: each call is held a little, so calls can overlap.
    store.appendProvenanceBatch = async (pairs: ProvenancePair[], context?: SinkWriteContext) => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((r) => setTimeout(r, 20));
        return await write(pairs, context);
      } finally {
        inFlight--;
      }
    };
    const q = new ProvenanceWriteQueue(store, { spillDir: join(path, 'spill'), logger: silentLogger, durability: 'memory', maxBatchPairs: 10, coalesceMs: 0, exitHook: false });
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    q.start();
    for (let i = 0; i < 200; i++) q.enqueue([pair('r1', `c${i}`)]);
    expect(await q.flush(10_000)).toBe(true);
    expect(most).toBeGreaterThan(1);
    const cues = (await store.get('r1'))!.provenance.map((e) => e.cue);
    expect(cues).toEqual(Array.from({ length: 200 }, (_, i) => `c${i}`));
  });
});
