// Row 9: what taking the write off the recall path buys on Postgres, where the sync
// fallback waits for a commit (a round trip and a WAL flush) on every recall. One store
// answers the same recalls in alternating blocks, queue on and queue off (sync fallback),
// so both share the server's caches and the history each hit reads back.
import { fmt, type RowResult } from './report.js';
import { nextTurn } from './fixtures.js';
import { pgStoreWith } from './postgres.js';
import type { BenchSizes } from './sizes.js';
import { summarize } from './stats.js';
import type { PostgresMemoryStore } from '../src/store/postgres-memory-store.js';
import { seeded } from '../faults/seeded-random.js';

const DIMS = 16;
const BLOCK = 200;
const WARM_UP = 100;

export async function row9(sizes: BenchSizes): Promise<RowResult> {
  const random = seeded(7);
  const vector = () => Array.from({ length: DIMS }, () => random() * 2 - 1);
  const records = Array.from({ length: sizes.pgRecallRecords }, (_, i) => ({ id: `m${i}`, text: `memory ${i}`, embedding: vector() }));
  const queries = Array.from({ length: sizes.pgRecalls }, (_, i) => ({ cue: `cue ${i}`, sessionId: 'bench', embedding: vector() }));
  const { store } = await pgStoreWith(records, 'row9');
  const onMs = new Float64Array(queries.length);
  const syncMs = new Float64Array(queries.length);
  try {
    const warm = new Float64Array(WARM_UP);
    await timeRecalls(store, queries.slice(0, WARM_UP), 0, WARM_UP, warm);
    for (let from = 0; from < queries.length; from += BLOCK) {
      const to = Math.min(queries.length, from + BLOCK);
      store.enableProvenanceQueue();
      await timeRecalls(store, queries, from, to, onMs);
      await store.disableProvenanceQueue(); // drains: its last writes land here, untimed
      await timeRecalls(store, queries, from, to, syncMs);
    }
  } finally {
    await store.close();
  }
  const on = summarize(onMs);
  const sync = summarize(syncMs);
  const r50 = on.p50 / sync.p50;
  return {
    row: 9,
    what: `Postgres recall (k 5, cosine in SQL) on ${records.length.toLocaleString('en-US')} records, ${queries.length.toLocaleString('en-US')} recalls a mode`,
    measured: `queue on: p50 ${fmt.ms(on.p50)}, p99 ${fmt.ms(on.p99)}`,
    baseline: `sync fallback: p50 ${fmt.ms(sync.p50)}, p99 ${fmt.ms(sync.p99)}`,
    ratio: `p50 ${fmt.ratio(r50)}, p99 ${fmt.ratio(on.p99 / sync.p99)}`,
    target: 'p50 < 1× sync fallback',
    met: r50 < 1,
    figures: { onP50Ms: on.p50, onP99Ms: on.p99, syncP50Ms: sync.p50, syncP99Ms: sync.p99, ratioP50: r50 },
    note: 'one embedded server on this machine: the sync fallback pays a local commit, not a network round trip',
  };
}

async function timeRecalls(
  store: PostgresMemoryStore,
  queries: { cue: string; sessionId: string; embedding: number[] }[],
  from: number,
  to: number,
  out: Float64Array,
): Promise<void> {
  for (let i = from; i < to; i++) {
    const t0 = performance.now();
    await store.recall(queries[i]!);
    out[i] = performance.now() - t0;
    if (i % 50 === 0) await nextTurn();
  }
}

