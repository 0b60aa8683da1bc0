// A disable that was not awaited, then close() or a second disable: the later call waits for
// the first one's drain (within its own deadline). Found 2026-12-01 (breaker14): close()
// returned at once and shut LMDB under the queue still draining — every sink call failed
// with PROVQ_STORE_CLOSED, and all its pairs went to spill files instead of the store; a
// second disable resolved before a pair was written.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const RECORDS = 5;
const RECALLS = 400; // k = 5: 2,000 pairs

async function storeWithPendingPairs(path: string): Promise<LmdbMemoryStore> {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  for (let i = 0; i < RECORDS; i++) await store.insert({ id: `r${i}`, text: `topic memory ${i}` });
  store.enableProvenanceQueue({ coalesceMs: 200 });
  for (let i = 0; i < RECALLS; i++) await store.recall({ cue: `topic q${i}`, sessionId: 's', k: RECORDS });
  return store;
}

async function storedEntries(store: LmdbMemoryStore): Promise<number> {
  let n = 0;
  for (let i = 0; i < RECORDS; i++) n += (await store.get(`r${i}`))!.provenance.length;
  return n;
}

const pendingSpillFiles = (path: string): string[] => {
  try {
    return readdirSync(join(path, 'provenance-overflow')).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
};

describe('a disable not awaited', () => {
  // Checked: with detachAndStop's wait for earlier stops taken out (queue-toggle.ts), close()
  // resolves with the queue still holding the pairs: none written when it resolves, its sink
  // calls then fail with PROVQ_STORE_CLOSED and the pairs go to spill files; this fails at the
  // queue's stats (writtenPairs 0 of 2,000).
  it('then close(): close resolves once the drain is done, every pair in the store, none failed or spilled', async () => {
    const path = tempDir();
    const store = await storeWithPendingPairs(path);
    const queue = store.provenanceQueue!;
    const disabling = store.disableProvenanceQueue();
    await store.close();
    expect(queue.stats()).toMatchObject({ writtenPairs: RECALLS * RECORDS, writeErrors: 0, spilledPairs: 0, pendingPairs: 0 });
    await disabling;
    expect(pendingSpillFiles(path)).toEqual([]);
    const again = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => again.close());
    expect(await storedEntries(again)).toBe(RECALLS * RECORDS);
  });

  // Checked: with the same wait taken out, the second disable resolves before any pair is
  // written (0 of 2,000 stored); this fails at the count.
  it('then a second disable: it resolves once the first one\'s pairs are durable', async () => {
    const store = await storeWithPendingPairs(tempDir());
    cleanups.push(() => store.close());
    const first = store.disableProvenanceQueue();
    await store.disableProvenanceQueue();
    expect(await storedEntries(store)).toBe(RECALLS * RECORDS);
    await first;
  });

  // Checked: with earlierStops' deadline taken out (awaiting the earlier stops unbounded),
  // close() waits out the first disable's 60 s deadline and the test times out.
  it('then close() with a deadline: close is bounded by its own deadline, nothing lost', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    await store.insert({ id: 'r0', text: 'topic memory 0' });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const write = store.appendProvenanceBatch.bind(store);
    store.appendProvenanceBatch = async (pairs, ctx) => {
      await held; // the sink hangs until the test lets it go
      return write(pairs, ctx);
    };
    store.enableProvenanceQueue({ coalesceMs: 1 });
    await store.recall({ cue: 'topic', sessionId: 's', k: 1 });
    const disabling = store.disableProvenanceQueue({ timeoutMs: 60_000 });
    const t = performance.now();
    await store.close({ timeoutMs: 300 });
    expect(performance.now() - t).toBeLessThan(10_000);
    release();
    await disabling;
    const again = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => again.close());
    // Saved by the first queue's own stop (its pairs were in a call that ended with the store
    // closed, so they went to a spill file), applied by the next queue on the store.
    const q = again.enableProvenanceQueue({ idlePollMs: 20 });
    expect(await until(() => q.stats().respooledPairs > 0 && pendingSpillFiles(path).length === 0, 20_000)).toBe(true);
    expect((await again.get('r0'))!.provenance.map((e) => e.cue)).toEqual(['topic']);
    await q.stop();
  });
});
