// Row 7: how much the event loop stalls while the queue writes a steady 100k pairs/s to LMDB
// (recall-sized batches of 5, paced by the clock), against the same pacing loop writing
// nothing. Measured with perf_hooks.monitorEventLoopDelay; every pair is checked durable.
// The producer enqueues at most 10 ms of its load per turn (as row 5's does, and as requests
// arriving one by one would): owed pairs it could not send are not sent in one giant turn
// of its own, whose length would be the producer's, not the queue's. The rate it held is
// reported, and the row is met only if it held the pace.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { benchDir, makePairs, openStoreWithRecords, sleep } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';
import type { ProvenanceWriteQueue } from '../src/queue/provenance-write-queue.js';

const PAIRS_PER_CALL = 5;
/** The producer enqueues at most this share of a second's load per turn of the loop. */
const MAX_TURN_SECONDS = 0.01;
/** The pace counts as held when this share of the pairs owed was sent. */
const PACE_HELD = 0.95;

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
    target: 'p99 ≤ 20 ms, the pace held',
    met: busy.p99Ms <= 20 && lost === 0 && busy.sent >= PACE_HELD * sizes.loopPairsPerSecond * sizes.loopSeconds,
    figures: { p99Ms: busy.p99Ms, maxMs: busy.maxMs, idleP99Ms: idle.p99Ms, idleMaxMs: idle.maxMs, pairsSent: busy.sent, lost, gcMaxMs: busy.gcMaxMs, gcTotalMs: busy.gcTotalMs },
    note: `garbage collection while writing: longest pause ${fmt.ms(busy.gcMaxMs)}, ${fmt.ms(busy.gcTotalMs)} in all over ${sizes.loopSeconds} s`,
  };
}

interface Delay {
  p99Ms: number;
  maxMs: number;
  sent: number;
  /** Garbage-collection pauses while pacing: the longest, and all of them together. */
  gcMaxMs: number;
  gcTotalMs: number;
}

/** Runs the clock-paced producer for loopSeconds; with no queue it only keeps the pace. */
async function delayWhilePacing(sizes: BenchSizes, queue: ProvenanceWriteQueue | null): Promise<Delay> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const gc = { max: 0, total: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.max = Math.max(gc.max, e.duration);
      gc.total += e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const end = t0 + sizes.loopSeconds * 1000;
  let sent = 0;
  histogram.enable();
  for (let now = t0; now < end; now = performance.now()) {
    const owed = Math.floor(((now - t0) / 1000) * sizes.loopPairsPerSecond);
    const due = Math.min(owed, sent + sizes.loopPairsPerSecond * MAX_TURN_SECONDS);
    for (; sent + PAIRS_PER_CALL <= due; sent += PAIRS_PER_CALL) {
      queue?.enqueue(makePairs(sent, PAIRS_PER_CALL, sizes.records));
    }
    await sleep(1);
  }
  histogram.disable();
  gcObserver.disconnect();
  return { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6, sent, gcMaxMs: gc.max, gcTotalMs: gc.total };
}
