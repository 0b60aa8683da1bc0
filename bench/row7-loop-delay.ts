// Row 7: how much the event loop stalls while the queue writes a steady 100k pairs/s to LMDB
// (recall-sized batches of 5, paced by the clock), against the same pacing loop writing
// nothing. Measured with perf_hooks.monitorEventLoopDelay; every pair is checked durable.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchDir, makePairs, openStoreWithRecords, sleep } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';
import type { ProvenanceWriteQueue } from '../src/queue/provenance-write-queue.js';

const PAIRS_PER_CALL = 5;

export async function row7(sizes: BenchSizes): Promise<RowResult> {
  const idle = await delayWhilePacing(sizes, null);
  const store = await openStoreWithRecords(benchDir('row7'), sizes.records);
  let busy: Delay;
  let lost: number;
  try {
    const queue = store.enableProvenanceQueue();
    busy = await delayWhilePacing(sizes, queue);
    if (!(await queue.flush(60_000))) throw new Error('row 7: the queue did not drain within 60 s');
    lost = busy.sent - store.stats().entries;
  } finally {
    await store.close();
  }
  const ratio = busy.p99Ms / idle.p99Ms;
  return {
    row: 7,
    what: `event-loop delay while writing ${fmt.rate(sizes.loopPairsPerSecond)} pairs for ${sizes.loopSeconds} s (default options)`,
    measured: `p99 ${fmt.ms(busy.p99Ms)}, max ${fmt.ms(busy.maxMs)} (${fmt.rate(busy.sent / sizes.loopSeconds)} sent)`,
    baseline: `idle loop: p99 ${fmt.ms(idle.p99Ms)}, max ${fmt.ms(idle.maxMs)}`,
    ratio: fmt.ratio(ratio),
    target: 'p99 ≤ 20 ms',
    met: busy.p99Ms <= 20 && lost === 0,
    figures: { p99Ms: busy.p99Ms, maxMs: busy.maxMs, idleP99Ms: idle.p99Ms, idleMaxMs: idle.maxMs, pairsSent: busy.sent, lost },
  };
}

interface Delay {
  p99Ms: number;
  maxMs: number;
  sent: number;
}

/** Runs the clock-paced producer for loopSeconds; with no queue it only keeps the pace. */
async function delayWhilePacing(sizes: BenchSizes, queue: ProvenanceWriteQueue | null): Promise<Delay> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  const end = t0 + sizes.loopSeconds * 1000;
  let sent = 0;
  histogram.enable();
  for (let now = t0; now < end; now = performance.now()) {
    const due = Math.floor(((now - t0) / 1000) * sizes.loopPairsPerSecond);
    for (; sent + PAIRS_PER_CALL <= due; sent += PAIRS_PER_CALL) {
      queue?.enqueue(makePairs(sent, PAIRS_PER_CALL, sizes.records));
    }
    await sleep(1);
  }
  histogram.disable();
  return { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6, sent };
}
