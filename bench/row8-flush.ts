// Row 8: how long `flush()` takes to make 10 pending entries durable in LMDB, from the call
// to the resolve (the queue is otherwise idle and waiting out its coalescing window).
import { summarize } from './stats.js';
import { benchDir, makePairs, openStoreWithRecords, sleep } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';

export async function row8(sizes: BenchSizes): Promise<RowResult> {
  const store = await openStoreWithRecords(benchDir('row8'), sizes.records);
  const queue = store.enableProvenanceQueue(); // default coalesceMs 50: flush must not wait it out
  const ms = new Float64Array(sizes.flushes);
  let undurable = 0;
  try {
    for (let i = 0; i < sizes.flushes; i++) {
      queue.enqueue(makePairs(i * 10, 10, sizes.records));
      const t0 = performance.now();
      const durable = await queue.flush(5000);
      ms[i] = performance.now() - t0;
      if (!durable) undurable++;
      await sleep(2); // the next flush starts from an idle worker, not a busy one
    }
  } finally {
    await store.close();
  }
  const s = summarize(ms);
  return {
    row: 8,
    what: `flush() of 10 pending entries, ${sizes.flushes} times`,
    measured: `p50 ${fmt.ms(s.p50)}, p99 ${fmt.ms(s.p99)}, max ${fmt.ms(s.max)}`,
    baseline: '—',
    ratio: '—',
    target: '≤ 10 ms',
    met: s.p99 <= 10 && undurable === 0,
    figures: { p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, notDurable: undurable },
    note: undurable ? `${undurable} flushes returned false` : undefined,
  };
}
