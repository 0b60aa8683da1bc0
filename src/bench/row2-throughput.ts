// Row 2: sustained pairs/s from `enqueue` to durable in LMDB, against raw `lmdb` puts of the
// same keys and values (auto-batched by lmdb, same durability settings as the store).
import { open } from 'lmdb';
import { join } from 'node:path';
import { formatEntryId } from '../entry-id.js';
import { benchDir, makePairs, nextTurn, openStoreWithRecords } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';

/** Pairs per enqueue, as a recall with k = 10 would make. */
const BATCH = 10;
/** The producer waits for the worker above this many pending pairs (well under overflow). */
const MAX_PENDING = 16_000;

export async function row2(sizes: BenchSizes): Promise<RowResult> {
  const raw = await rawLmdbPairsPerSecond(sizes);
  const ours = await queuePairsPerSecond(sizes);
  const ratio = ours.perSecond / raw;
  return {
    row: 2,
    what: `enqueue → durable in LMDB, ${sizes.throughputPairs.toLocaleString('en-US')} pairs over ${sizes.records} records`,
    measured: fmt.rate(ours.perSecond),
    baseline: `raw lmdb put: ${fmt.rate(raw)}`,
    ratio: fmt.ratio(ratio),
    target: '≥ 0.8× baseline',
    met: ratio >= 0.8 && ours.stored === sizes.throughputPairs,
    figures: { pairsPerSecond: ours.perSecond, rawPairsPerSecond: raw, ratio, stored: ours.stored },
  };
}

async function queuePairsPerSecond(sizes: BenchSizes): Promise<{ perSecond: number; stored: number }> {
  const store = await openStoreWithRecords(benchDir('row2'), sizes.records);
  try {
    const queue = store.enableProvenanceQueue();
    const t0 = performance.now();
    for (let from = 0; from < sizes.throughputPairs; from += BATCH) {
      queue.enqueue(makePairs(from, Math.min(BATCH, sizes.throughputPairs - from), sizes.records));
      while (queue.stats().pendingPairs > MAX_PENDING) await nextTurn();
    }
    if (!(await queue.flush(120_000))) throw new Error('row 2: the queue did not drain within 120 s');
    const seconds = (performance.now() - t0) / 1000;
    if (queue.stats().spilledPairs > 0) throw new Error('row 2: the queue spilled; the producer outran the worker');
    return { perSecond: sizes.throughputPairs / seconds, stored: store.stats().entries };
  } finally {
    await store.close();
  }
}

async function rawLmdbPairsPerSecond(sizes: BenchSizes): Promise<number> {
  const env = open({ path: join(benchDir('row2-raw'), 'raw.mdb'), overlappingSync: false, maxDbs: 4 });
  const db = env.openDB({ name: 'provenance' });
  try {
    const ms = Date.now();
    const pairs = makePairs(0, sizes.throughputPairs, sizes.records);
    const keys = pairs.map((_, i) => formatEntryId(ms, i));
    const t0 = performance.now();
    let last: Promise<boolean> | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const [recordId, entry] = pairs[i]!;
      last = db.put([recordId, keys[i]!], { ...entry, entryId: keys[i] });
    }
    await last;
    return sizes.throughputPairs / ((performance.now() - t0) / 1000);
  } finally {
    await env.close();
  }
}
