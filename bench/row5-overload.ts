// Row 5: offered load `overloadFactor` × the sink's capacity for `overloadSeconds`. Memory
// must stay bounded, the spill path must absorb the excess, re-enqueue must drain it fast
// once the sink recovers, and nothing may be lost. Runs in a child so RSS is the queue's own.
import { benchDir } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { Row5Config, Row5Figures } from './row5-overload-child.js';
import { benchChildScript, lastJsonLine, runBenchChild } from './row5-6-child-process.js';
import type { BenchSizes } from './sizes.js';

/** Anonymous memory (heap, buffers; not LMDB's file-backed map) over its baseline. */
const MAX_ANON_RSS_GROWTH_BYTES = 128 * 1024 * 1024;
const MIN_SPILL_PER_SECOND = 100_000;
const MIN_RESPOOL_PER_SECOND = 100_000;

export async function row5(sizes: BenchSizes): Promise<RowResult> {
  const config: Row5Config = {
    dir: benchDir('row5'),
    records: sizes.records,
    sinkCapacity: sizes.sinkCapacity,
    overloadFactor: sizes.overloadFactor,
    overloadSeconds: sizes.overloadSeconds,
    drainTimeoutSeconds: sizes.drainTimeoutSeconds,
  };
  // Room for the audit and start-up beyond the overload and the drain.
  const timeoutMs = (sizes.overloadSeconds + sizes.drainTimeoutSeconds + 120) * 1000;
  const run = await runBenchChild(benchChildScript('row5-overload-child.js'), config, { timeoutMs, nodeArgs: ['--expose-gc'] });
  const f = lastJsonLine<Row5Figures>(run, 'row 5');
  const rssGrowthBytes = f.peakRssBytes - f.baselineRssBytes;
  const anonGrowth = f.peakRssAnonBytes - f.baselineRssAnonBytes;
  const anon = f.rssAnonKnown ? ` (anon +${fmt.mb(anonGrowth)})` : '';
  const notes: string[] = [
    `live heap after a full GC at the end of the overload: +${fmt.mb(f.liveHeapAtOverloadEndBytes - f.baselineLiveHeapBytes)} (${f.pendingAtOverloadEnd.toLocaleString('en-US')} pairs pending); the rest of the peak is garbage V8 had not collected yet`,
  ];
  if (f.rssAnonKnown) {
    notes.push(
      `RSS includes LMDB's file-backed map, which grows with the entries stored (anon does not); while the spill dir drained RSS peaked at +${fmt.mb(f.drainPeakRssBytes - f.baselineRssBytes)} (anon +${fmt.mb(f.drainPeakRssAnonBytes - f.baselineRssAnonBytes)})`,
    );
  }
  if (!f.drained) {
    notes.push(
      `the spill dir was not drained within ${sizes.drainTimeoutSeconds} s: ${f.waitingInSpill.toLocaleString('en-US')} pairs left in it (durable, not lost)`,
    );
  }
  return {
    row: 5,
    what: `offered ${sizes.overloadFactor}× the sink's capacity for ${sizes.overloadSeconds} s (default options)`,
    measured: `peak RSS +${fmt.mb(rssGrowthBytes)}${anon}, spill ${fmt.rate(f.spillPerSecond)}, re-enqueue ${fmt.rate(f.respoolPerSecond)}, lost ${f.lost}, dup ${f.duplicated}`,
    baseline: `offered ${fmt.rate(f.offeredPerSecond)}, sink ${fmt.rate(sizes.sinkCapacity)}`,
    ratio: '—',
    target: 'anon RSS ≤ +128 MB, spill ≥ 100k/s, re-enqueue ≥ 100k/s and ≥ the sink rate, 0 lost',
    met:
      (!f.rssAnonKnown || anonGrowth <= MAX_ANON_RSS_GROWTH_BYTES) &&
      f.respoolPerSecond >= sizes.sinkCapacity &&
      f.spillPerSecond >= MIN_SPILL_PER_SECOND &&
      f.respoolPerSecond >= MIN_RESPOOL_PER_SECOND &&
      f.drained &&
      f.lost === 0 &&
      f.duplicated === 0,
    figures: { ...f, rssGrowthBytes, rssAnonGrowthBytes: anonGrowth },
    note: notes.length > 0 ? notes.join('; ') : undefined,
  };
}
