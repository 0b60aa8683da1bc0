// Row 2: sustained pairs/s from `enqueue` to durable in LMDB with the default options,
// against raw `lmdb` puts of the same keys and values, auto-batched (the ceiling: a
// million puts in a handful of transactions). The producer keeps as much pending as a
// recall-serving process under load would, without ever filling the queue (no spilling).
import { benchDir, makePairs, openStoreWithRecords, sleep } from './fixtures.js';
import { rawLmdbPairsPerSecond } from './raw-lmdb.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';
import type { ProvenancePair, QueueOptions } from '../src/schemas.js';

/** Pairs per enqueue, as a recall with k = 10 would make. */
const BATCH = 10;
/** The producer pauses while this many pairs are pending: well under the queue's 4,096 batches. */
const MAX_PENDING_PAIRS = 16_384;

export async function row2(sizes: BenchSizes): Promise<RowResult> {
  const n = sizes.throughputPairs;
  const raw = await rawLmdbPairsPerSecond(n, sizes.records);
  const q = await queuePairsPerSecond(n, sizes.records, {});
  const ratio = q.perSecond / raw;
  return {
    row: 2,
    what: `enqueue → durable in LMDB, ${n.toLocaleString('en-US')} pairs over ${sizes.records} records (default options: journal, maxBatchPairs 256)`,
    measured: fmt.rate(q.perSecond),
    baseline: `raw lmdb put, auto-batched: ${fmt.rate(raw)}`,
    ratio: fmt.ratio(ratio),
    target: '≥ 0.8× baseline',
    met: ratio >= 0.8 && q.lost === 0,
    figures: { pairsPerSecond: q.perSecond, rawPairsPerSecond: raw, ratio, lost: q.lost },
  };
}

export async function queuePairsPerSecond(pairs: number, records: number, opts: QueueOptions): Promise<{ perSecond: number; lost: number }> {
  const store = await openStoreWithRecords(benchDir('row2'), records);
  try {
    const queue = store.enableProvenanceQueue(opts);
    // Made before the clock starts, as the baseline's pairs and keys are.
    const batches: ProvenancePair[][] = [];
    for (let from = 0; from < pairs; from += BATCH) batches.push(makePairs(from, Math.min(BATCH, pairs - from), records));
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) {
      queue.enqueue(batches[i]!);
      // Waits by the millisecond, not by turns: spinning on turns would take the thread from the queue.
      if (i % 100 === 99) while (queue.stats().pendingPairs > MAX_PENDING_PAIRS) await sleep(1);
    }
    if (!(await queue.flush(300_000))) throw new Error('row 2: the queue did not drain within 300 s');
    const seconds = (performance.now() - t0) / 1000;
    if (queue.stats().spilledPairs > 0) throw new Error('row 2: the queue spilled; the producer outran it');
    return { perSecond: pairs / seconds, lost: pairs - store.stats().entries };
  } finally {
    await store.close();
  }
}
