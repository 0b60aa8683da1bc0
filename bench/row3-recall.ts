// Row 3: what provenance costs a recall. One store with 10k records answers the same
// recalls in alternating blocks: with the queue on, and with appendProvenanceBatch writing
// nothing (the cost of recall itself). One store, so both modes share its index, pages and
// code paths; blocks of 500 (about 150 ms) are long enough for the queue's own writes to
// land inside its block. Then the sync fallback (queue off, every recall waits for its
// durable write).
import { benchDir, nextTurn } from './fixtures.js';
import { summarize } from './stats.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';
import { silentLogger } from '../src/log.js';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { seeded } from '../faults/seeded-random.js';

const DIMS = 16;
const BLOCK = 500;
const WARM_UP = 300;

export async function row3(sizes: BenchSizes): Promise<RowResult> {
  const random = seeded(42);
  const vector = () => Array.from({ length: DIMS }, () => random() * 2 - 1);
  const records = Array.from({ length: sizes.recallRecords }, (_, i) => ({ id: `m${i}`, text: `memory ${i}`, embedding: vector() }));
  const queries = Array.from({ length: sizes.recallsPerMode }, (_, i) => ({ cue: `cue ${i}`, sessionId: 'bench', embedding: vector() }));
  const store = await storeWith(records, 'row3');
  const bare = () => Promise.resolve();
  const onMs = new Float64Array(queries.length);
  const bareMs = new Float64Array(queries.length);
  const syncMs = new Float64Array(sizes.syncRecalls);
  try {
    // Warm both paths (JIT, page cache) before the clock runs.
    const warm = new Float64Array(WARM_UP);
    store.enableProvenanceQueue();
    await timeRecalls(store, queries.slice(0, WARM_UP), 0, WARM_UP, warm);
    await store.disableProvenanceQueue();
    for (let from = 0; from < queries.length; from += BLOCK) {
      const to = Math.min(queries.length, from + BLOCK);
      store.enableProvenanceQueue();
      await timeRecalls(store, queries, from, to, onMs);
      await store.disableProvenanceQueue(); // drains: its last writes land here, untimed
      store.appendProvenanceBatch = bare; // recall without provenance
      await timeRecalls(store, queries, from, to, bareMs);
      delete (store as Partial<Pick<LmdbMemoryStore, 'appendProvenanceBatch'>>).appendProvenanceBatch;
    }
    await timeRecalls(store, queries.slice(0, sizes.syncRecalls), 0, sizes.syncRecalls, syncMs);
  } finally {
    await store.close();
  }
  const on = summarize(onMs);
  const off = summarize(bareMs);
  const sync = summarize(syncMs);
  const r50 = on.p50 / off.p50;
  const r99 = on.p99 / off.p99;
  return {
    row: 3,
    what: `recall (k 5) on ${sizes.recallRecords.toLocaleString('en-US')} records, queue on, ${queries.length.toLocaleString('en-US')} recalls`,
    measured: `p50 ${fmt.ms(on.p50)}, p99 ${fmt.ms(on.p99)}`,
    baseline: `no provenance: p50 ${fmt.ms(off.p50)}, p99 ${fmt.ms(off.p99)}; sync fallback: p50 ${fmt.ms(sync.p50)}, p99 ${fmt.ms(sync.p99)}`,
    ratio: `p50 ${fmt.ratio(r50)}, p99 ${fmt.ratio(r99)}`,
    target: '≤ 1.05× no provenance',
    met: r50 <= 1.05 && r99 <= 1.05,
    figures: { onP50Ms: on.p50, onP99Ms: on.p99, bareP50Ms: off.p50, bareP99Ms: off.p99, syncP50Ms: sync.p50, syncP99Ms: sync.p99, ratioP50: r50, ratioP99: r99 },
  };
}

async function storeWith(records: { id: string; text: string; embedding: number[] }[], name: string): Promise<LmdbMemoryStore> {
  const store = await LmdbMemoryStore.open({ path: benchDir(name), logger: silentLogger });
  for (let from = 0; from < records.length; from += 1000) await Promise.all(records.slice(from, from + 1000).map((r) => store.insert(r)));
  return store;
}

async function timeRecalls(
  store: LmdbMemoryStore,
  queries: { cue: string; sessionId: string; embedding: number[] }[],
  from: number,
  to: number,
  out: Float64Array,
): Promise<void> {
  for (let i = from; i < to; i++) {
    const t0 = performance.now();
    await store.recall(queries[i]!);
    out[i] = performance.now() - t0;
    if (i % 50 === 0) await nextTurn(); // a server between requests: timers and I/O get their turn
  }
}

