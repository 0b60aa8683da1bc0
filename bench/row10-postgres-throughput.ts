// Row 10: sustained pairs/s from `enqueue` to committed in Postgres through the queue (the
// store's default options: journal, 256 pairs a sink call, 4 calls in flight), against raw
// batched `pg` inserts of the same rows: one unnest INSERT per 256 rows, 4 in flight, into a
// table of the same shape, with the same ON CONFLICT DO NOTHING; ids and JSON made on the clock
// for both (the queue's pairs, like the baseline's, are made before it starts).
import pg from 'pg';
import { formatEntryId } from '../src/entry-id.js';
import type { ProvenancePair } from '../src/schemas.js';
import { makePairs, sleep } from './fixtures.js';
import { benchPostgres, pgStoreWith } from './postgres.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';

const BATCH = 10; // pairs per enqueue, as a recall with k = 10 makes
const ROWS_PER_INSERT = 256;
const IN_FLIGHT = 4;

export async function row10(sizes: BenchSizes): Promise<RowResult> {
  const n = sizes.pgThroughputPairs;
  const raw = await rawInsertsPerSecond(n, sizes.records);
  const queued = await queuePairsPerSecond(n, sizes.records);
  const ratio = queued.perSecond / raw;
  return {
    row: 10,
    what: `enqueue → committed in Postgres, ${n.toLocaleString('en-US')} pairs over ${sizes.records} records (defaults)`,
    measured: fmt.rate(queued.perSecond),
    baseline: `raw batched pg inserts (${ROWS_PER_INSERT} a statement, ${IN_FLIGHT} in flight): ${fmt.rate(raw)}`,
    ratio: fmt.ratio(ratio),
    target: '≥ 0.8× baseline',
    met: ratio >= 0.8 && queued.lost === 0,
    figures: { pairsPerSecond: queued.perSecond, rawPairsPerSecond: raw, ratio, lost: queued.lost },
  };
}

async function queuePairsPerSecond(pairs: number, records: number): Promise<{ perSecond: number; lost: number }> {
  const { store } = await pgStoreWith(records, 'row10');
  try {
    const queue = store.enableProvenanceQueue();
    const batches: ProvenancePair[][] = [];
    for (let from = 0; from < pairs; from += BATCH) batches.push(makePairs(from, Math.min(BATCH, pairs - from), records));
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) {
      queue.enqueue(batches[i]!);
      // A producer as fast as the queue drains (this row measures the path to the database, not
      // spilling). It waits by the millisecond, as row 2's does: spinning on turns took a tenth
      // of this process's CPU (stats() in a profile) from the queue and the server on two cores.
      if (i % 100 === 99) while (queue.stats().pendingPairs > 8 * ROWS_PER_INSERT) await sleep(1);
    }
    if (!(await queue.flush(300_000))) throw new Error('row 10: the queue did not drain within 300 s');
    const seconds = (performance.now() - t0) / 1000;
    if (queue.stats().spilledPairs > 0) throw new Error('row 10: the queue spilled; the producer outran it');
    return { perSecond: pairs / seconds, lost: pairs - (await store.stats()).entries };
  } finally {
    await store.close();
  }
}

async function rawInsertsPerSecond(count: number, records: number): Promise<number> {
  const { url } = await benchPostgres();
  const pool = new pg.Pool({ connectionString: url, max: IN_FLIGHT });
  try {
    await pool.query(`DROP TABLE IF EXISTS bench_raw_provenance;
      CREATE TABLE bench_raw_provenance (record_id text COLLATE "C" NOT NULL, entry_id text COLLATE "C" NOT NULL, entry json NOT NULL, PRIMARY KEY (record_id, entry_id))`);
    const pairs = makePairs(0, count, records); // made before the clock, as the queue's are
    const sql = `INSERT INTO bench_raw_provenance (record_id, entry_id, entry)
      SELECT * FROM unnest($1::text[], $2::text[], $3::json[]) ON CONFLICT DO NOTHING`;
    const t0 = performance.now();
    const ms = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < count) {
          // Ids and JSON made on the clock, as any writer of these rows has to.
          const from = next;
          next += ROWS_PER_INSERT;
          const part = pairs.slice(from, from + ROWS_PER_INSERT);
          const ids = part.map((_, k) => formatEntryId(ms, from + k));
          const values = [part.map(([r]) => r), ids, part.map(([, e], k) => JSON.stringify({ ...e, entryId: ids[k] }))];
          await pool.query({ name: 'bench-raw', text: sql, values });
        }
      }),
    );
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await pool.end();
  }
}
