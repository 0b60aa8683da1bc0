// Row 12: what the journal costs in sustained durable throughput: row 2's run with the
// default durability ('journal') against the same run with durability 'memory'.
import { queuePairsPerSecond } from './row2-throughput.js';
import { fmt, type RowResult } from './report.js';
import type { BenchSizes } from './sizes.js';

export async function row12(sizes: BenchSizes): Promise<RowResult> {
  const n = Math.min(sizes.throughputPairs, 500_000);
  // Alternated, so drift on a shared machine hits both modes alike.
  const journal: number[] = [];
  const memory: number[] = [];
  for (let round = 0; round < 2; round++) {
    memory.push((await queuePairsPerSecond(n, sizes.records, { durability: 'memory' })).perSecond);
    journal.push((await queuePairsPerSecond(n, sizes.records, { durability: 'journal' })).perSecond);
  }
  const j = Math.max(...journal);
  const m = Math.max(...memory);
  const ratio = j / m;
  return {
    row: 12,
    what: `durable throughput with the journal, ${n.toLocaleString('en-US')} pairs (best of 2 each)`,
    measured: `journal: ${fmt.rate(j)}`,
    baseline: `durability 'memory': ${fmt.rate(m)}`,
    ratio: fmt.ratio(ratio),
    target: '≥ 0.9× memory',
    met: ratio >= 0.9,
    figures: { journalPairsPerSecond: j, memoryPairsPerSecond: m, ratio, journalRuns: journal.join(','), memoryRuns: memory.join(',') },
  };
}
