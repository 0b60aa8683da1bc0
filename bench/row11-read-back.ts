// Row 11: a backlog of 100,000 pairs in 2,500 small spill files (what a down sink leaves),
// read back by a queue with the default options, against raw `lmdb` puts of as many pairs,
// auto-batched. Timed from the queue's start to the last file deleted and flush() true.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatEntryId } from '../src/entry-id.js';
import { listSpillDir } from '../src/spill/spill-dir.js';
import { newSpillFileName } from '../src/spill/spill-file-name.js';
import { serializeSpillLines } from '../src/spill/spill-writer.js';
import { SPILL_DIR_NAME } from '../src/store/store-layout.js';
import { benchDir, makePairs, openStoreWithRecords, sleep } from './fixtures.js';
import { rawLmdbPairsPerSecond } from './raw-lmdb.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';

export async function row11(sizes: BenchSizes): Promise<RowResult> {
  const pairs = sizes.readBackPairs;
  const files = sizes.readBackFiles;
  const raw = await rawLmdbPairsPerSecond(pairs, sizes.records);
  const path = benchDir('row11');
  const store = await openStoreWithRecords(path, sizes.records);
  let perSecond: number;
  let lost: number;
  try {
    writeSpillFiles(join(path, SPILL_DIR_NAME), pairs, files, sizes.records);
    const t0 = performance.now();
    const queue = store.enableProvenanceQueue();
    // A counter is polled until every pair was written (listing 2,500 names every 20 ms took
    // a tenth of the thread from the queue); then the end is the last file deleted, which
    // happens only once all of its pairs are durable.
    const s = () => queue.stats();
    while (s().respooledPairs < pairs && s().quarantinedFiles === 0) await sleep(5);
    while ((await listSpillDir(queue.spillDir)).pending.length > 0) await sleep(5);
    if (!(await queue.flush(60_000))) throw new Error('row 11: not durable within 60 s');
    perSecond = pairs / ((performance.now() - t0) / 1000);
    lost = pairs - store.stats().entries;
  } finally {
    await store.close();
  }
  const ratio = perSecond / raw;
  return {
    row: 11,
    what: `read-back of ${pairs.toLocaleString('en-US')} pairs in ${files.toLocaleString('en-US')} spill files (default options)`,
    measured: fmt.rate(perSecond),
    baseline: `raw lmdb put, auto-batched: ${fmt.rate(raw)}`,
    ratio: fmt.ratio(ratio),
    target: '≥ 0.5× baseline',
    met: ratio >= 0.5 && lost === 0,
    figures: { pairsPerSecond: perSecond, rawPairsPerSecond: raw, ratio, lost },
  };
}

/** Queue-format files (entryIds included), written plainly: the setup is not what is timed. */
function writeSpillFiles(dir: string, pairs: number, files: number, records: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const per = Math.ceil(pairs / files);
  const ms = Date.now() - 60_000;
  for (let from = 0; from < pairs; from += per) {
    const chunk = makePairs(from, Math.min(per, pairs - from), records);
    chunk.forEach(([, e], k) => (e.entryId = formatEntryId(ms, from + k)));
    writeFileSync(join(dir, newSpillFileName()), serializeSpillLines(chunk), { mode: 0o600 });
  }
}
