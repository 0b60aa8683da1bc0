// Row 2: sustained pairs/s from `enqueue` to durable in LMDB, against raw `lmdb` puts of the
// same keys and values (auto-batched by lmdb, same durability settings as the store).
// Each LMDB commit has a fixed cost (fsync, copy-on-write of the pages it touches), so the
// rate follows the pairs per commit: the row runs the queue with THROUGHPUT_BATCH_PAIRS per
// sink call and shows raw lmdb held to as many puts per commit (the ceiling for that
// size), and the same for the default 256.
import { open } from 'lmdb';
import { join } from 'node:path';
import { formatEntryId } from '../src/entry-id.js';
import { benchDir, makePairs, nextTurn, openStoreWithRecords } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import { THROUGHPUT_BATCH_PAIRS, type BenchSizes } from './sizes.js';
import type { ProvenancePair } from '../src/schemas.js';

/** Pairs per enqueue, as a recall with k = 10 would make. */
const BATCH = 10;
const DEFAULT_BATCH_PAIRS = 256;

export async function row2(sizes: BenchSizes): Promise<RowResult> {
  const n = sizes.throughputPairs;
  const small = Math.min(n, 200_000); // the default-size runs are slow; fewer pairs say the same
  const raw = await rawLmdbPairsPerSecond(n, sizes.records, Infinity);
  const tuned = await queuePairsPerSecond(n, sizes.records, THROUGHPUT_BATCH_PAIRS);
  const byDefault = await queuePairsPerSecond(small, sizes.records, DEFAULT_BATCH_PAIRS);
  const raw256 = await rawLmdbPairsPerSecond(small, sizes.records, DEFAULT_BATCH_PAIRS);
  const rawTuned = await rawLmdbPairsPerSecond(n, sizes.records, THROUGHPUT_BATCH_PAIRS);
  const ratio = tuned.perSecond / raw;
  return {
    row: 2,
    what: `enqueue → durable in LMDB, ${n.toLocaleString('en-US')} pairs over ${sizes.records} records (maxBatchPairs ${THROUGHPUT_BATCH_PAIRS})`,
    measured: fmt.rate(tuned.perSecond),
    baseline: `raw lmdb put: ${fmt.rate(raw)}`,
    ratio: fmt.ratio(ratio),
    target: '≥ 0.8× baseline',
    met: ratio >= 0.8 && tuned.lost === 0 && byDefault.lost === 0,
    figures: {
      pairsPerSecond: tuned.perSecond,
      rawPairsPerSecond: raw,
      ratio,
      defaultBatchPairsPerSecond: byDefault.perSecond,
      raw256PerCommitPairsPerSecond: raw256,
      rawTunedPerCommitPairsPerSecond: rawTuned,
      ratioToRawTunedPerCommit: tuned.perSecond / rawTuned,
      ratioDefaultToRaw256: byDefault.perSecond / raw256,
      lost: tuned.lost + byDefault.lost,
    },
    note:
      `raw lmdb held to ${THROUGHPUT_BATCH_PAIRS} puts per commit: ${fmt.rate(rawTuned)} (queue ${fmt.ratio(tuned.perSecond / rawTuned)} of it); ` +
      `at the default maxBatchPairs ${DEFAULT_BATCH_PAIRS}: ${fmt.rate(byDefault.perSecond)}, ` +
      `${fmt.ratio(byDefault.perSecond / raw256)} of raw lmdb at ${DEFAULT_BATCH_PAIRS} puts per commit (${fmt.rate(raw256)})`,
  };
}

async function queuePairsPerSecond(
  pairs: number,
  records: number,
  maxBatchPairs: number,
): Promise<{ perSecond: number; lost: number }> {
  const store = await openStoreWithRecords(benchDir('row2'), records);
  try {
    const queue = store.enableProvenanceQueue({ maxBatchPairs });
    // Made before the clock starts, as the baseline's pairs and keys are.
    const batches: ProvenancePair[][] = [];
    for (let from = 0; from < pairs; from += BATCH) batches.push(makePairs(from, Math.min(BATCH, pairs - from), records));
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) {
      queue.enqueue(batches[i]!);
      // A producer as fast as the queue drains: it waits while a few sink calls' worth are
      // pending (this row measures the path to LMDB, not spilling; the queue never fills).
      if (i % 100 === 99) while (queue.stats().pendingPairs > 4 * maxBatchPairs) await nextTurn();
    }
    if (!(await queue.flush(300_000))) throw new Error('row 2: the queue did not drain within 300 s');
    const seconds = (performance.now() - t0) / 1000;
    if (queue.stats().spilledPairs > 0) throw new Error('row 2: the queue spilled; the producer outran it');
    return { perSecond: pairs / seconds, lost: pairs - store.stats().entries };
  } finally {
    await store.close();
  }
}

/** Raw puts of the same keys and values; `perCommit` caps the puts awaited together. */
async function rawLmdbPairsPerSecond(count: number, records: number, perCommit: number): Promise<number> {
  const env = open({ path: join(benchDir('row2-raw'), 'raw.mdb'), overlappingSync: false, maxDbs: 4 });
  const db = env.openDB({ name: 'provenance' });
  try {
    const ms = Date.now();
    const pairs = makePairs(0, count, records);
    const keys = pairs.map((_, i) => formatEntryId(ms, i));
    const t0 = performance.now();
    let last: Promise<boolean> | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const [recordId, entry] = pairs[i]!;
      last = db.put([recordId, keys[i]!], { ...entry, entryId: keys[i] });
      if ((i + 1) % perCommit === 0) await last;
    }
    await last;
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await env.close();
  }
}
