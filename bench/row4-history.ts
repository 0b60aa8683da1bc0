// Row 4: appending to a record with a long history costs what appending to a fresh one does,
// because each entry is its own key (no read-modify-write of a growing array). Appends to the
// two kinds of record alternate, each a one-pair appendProvenanceBatch awaited until durable.
import { summarize } from './stats.js';
import { benchDir, makePairs, openStoreWithRecords, recordId } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';
import type { ProvenancePair } from '../src/schemas.js';

export async function row4(sizes: BenchSizes): Promise<RowResult> {
  // r0 gets the long history; r1.. are fresh records, one per append so "none" stays none.
  const store = await openStoreWithRecords(benchDir('row4'), sizes.appends + 1);
  const longMs = new Float64Array(sizes.appends);
  const freshMs = new Float64Array(sizes.appends);
  try {
    for (let from = 0; from < sizes.historyEntries; from += 1000) {
      await store.appendProvenanceBatch(makePairs(from, Math.min(1000, sizes.historyEntries - from), 1));
    }
    const history = (await store.get(recordId(0)))!.provenance.length;
    if (history !== sizes.historyEntries) throw new Error(`row 4: r0 has ${history} entries, expected ${sizes.historyEntries}`);
    const one = (id: string, i: number): ProvenancePair[] => [[id, { ts: new Date().toISOString(), cue: `append ${i}`, sessionId: 'bench' }]];
    for (let i = 0; i < sizes.appends; i++) {
      let t0 = performance.now();
      await store.appendProvenanceBatch(one(recordId(0), i));
      longMs[i] = performance.now() - t0;
      t0 = performance.now();
      await store.appendProvenanceBatch(one(recordId(i + 1), i));
      freshMs[i] = performance.now() - t0;
    }
  } finally {
    await store.close();
  }
  const l = summarize(longMs);
  const f = summarize(freshMs);
  const ratio = l.p50 / f.p50;
  return {
    row: 4,
    what: `append to a record with ${sizes.historyEntries.toLocaleString('en-US')} entries (${sizes.appends} appends, durable)`,
    measured: `p50 ${fmt.ms(l.p50)}, p99 ${fmt.ms(l.p99)}`,
    baseline: `empty record: p50 ${fmt.ms(f.p50)}, p99 ${fmt.ms(f.p99)}`,
    ratio: `p50 ${fmt.ratio(ratio)}`,
    target: '≤ 1.2×',
    met: ratio <= 1.2,
    figures: { longP50Ms: l.p50, longP99Ms: l.p99, freshP50Ms: f.p50, freshP99Ms: f.p99, ratioP50: ratio },
  };
}
