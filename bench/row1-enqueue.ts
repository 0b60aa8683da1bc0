// Row 1: what `enqueue` of a one-pair batch costs the caller, against pushing the same pair
// onto an array. Calls are timed one by one in rounds of 1,000, after 20 untimed rounds (the
// JIT's warm-up would otherwise land in whichever mode runs first); between rounds the worker
// gets the loop so the queue never overflows (this row measures the hot path, not spilling).
import { summarize } from './stats.js';
import { benchDir, makePairs, nextTurn, openStoreWithRecords } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';
import type { ProvenancePair } from '../src/schemas.js';

const ROUND = 1000;
/** Untimed calls first, in each mode: the first rounds run before the JIT has compiled the path. */
const WARM_UP_CALLS = 20_000;

export async function row1(sizes: BenchSizes): Promise<RowResult> {
  const journal = await timeEnqueues(sizes, 'journal');
  const memory = await timeEnqueues(sizes, 'memory');
  const q = summarize(journal.enqueueNs);
  const m = summarize(memory.enqueueNs);
  const p = summarize(journal.pushNs);
  const overhead = timerOverheadNs();
  return {
    row: 1,
    what: `enqueue of a 1-pair batch, ${sizes.enqueueCalls.toLocaleString('en-US')} calls per mode`,
    measured: `journal: p50 ${fmt.ns(q.p50)}, p99 ${fmt.ns(q.p99)}; memory: p50 ${fmt.ns(m.p50)}, p99 ${fmt.ns(m.p99)}`,
    baseline: `Array push: p50 ${fmt.ns(p.p50)}, p99 ${fmt.ns(p.p99)}`,
    ratio: `p99 ${fmt.ratio(q.p99 / p.p99)}`,
    target: 'p99 ≤ 2 µs in both modes',
    met: q.p99 <= 2000 && m.p99 <= 2000,
    figures: {
      enqueueP50Ns: q.p50, enqueueP99Ns: q.p99, enqueueMaxNs: q.max,
      memoryEnqueueP50Ns: m.p50, memoryEnqueueP99Ns: m.p99, memoryEnqueueMaxNs: m.max,
      pushP50Ns: p.p50, pushP99Ns: p.p99, timerOverheadNs: overhead,
    },
    note: `each figure includes ~${fmt.ns(overhead)} of performance.now() itself (the push baseline is mostly that); the journal's write happens once per turn, after the timed calls`,
  };
}

async function timeEnqueues(sizes: BenchSizes, durability: 'journal' | 'memory'): Promise<{ enqueueNs: Float64Array; pushNs: Float64Array }> {
  const store = await openStoreWithRecords(benchDir('row1'), sizes.records);
  const queue = store.enableProvenanceQueue({ durability });
  const enqueueNs = new Float64Array(sizes.enqueueCalls);
  const pushNs = new Float64Array(sizes.enqueueCalls);
  let sink: ProvenancePair[] = [];
  try {
    for (let done = 0; done < WARM_UP_CALLS; done += ROUND) {
      for (const p of makePairs(done, ROUND, sizes.records)) queue.enqueue([p]);
      while (queue.stats().pendingPairs > ROUND) await nextTurn();
      await nextTurn();
    }
    for (let done = 0; done < sizes.enqueueCalls; done += ROUND) {
      const n = Math.min(ROUND, sizes.enqueueCalls - done);
      const pairs = makePairs(done, n, sizes.records);
      const batches = pairs.map((p) => [p]);
      // Alternate the two so drift (GC, the LMDB write thread, the other core) hits both alike.
      for (let k = 0; k < n; k++) {
        const b = batches[k]!;
        let t0 = performance.now();
        queue.enqueue(b);
        enqueueNs[done + k] = (performance.now() - t0) * 1e6;
        t0 = performance.now();
        sink.push(b[0]!);
        pushNs[done + k] = (performance.now() - t0) * 1e6;
      }
      if (sink.length > 100_000) sink = [];
      while (queue.stats().pendingPairs > ROUND) await nextTurn();
      await nextTurn();
    }
    if (!(await queue.flush(30_000))) throw new Error('row 1: the queue did not drain within 30 s');
  } finally {
    await store.close();
  }
  return { enqueueNs, pushNs };
}

/** The median cost of an empty timed region. */
function timerOverheadNs(): number {
  const samples = new Float64Array(100_000);
  for (let i = 0; i < samples.length; i++) {
    const t0 = performance.now();
    samples[i] = (performance.now() - t0) * 1e6;
  }
  return summarize(samples).p50;
}
