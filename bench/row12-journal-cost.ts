// Row 12: what the journal costs in sustained durable throughput: row 2's run with the
// default durability ('journal') against the same run with durability 'memory'. Rounds of
// one run each, the order alternating (memory first, then journal first, ...), and the ratio
// judged is the median over rounds of each round's journal ÷ memory: this machine's speed
// drifts by tens of percent over seconds, so a ratio of runs far apart (the best of each
// mode, as before session 13) measured the drift as much as the journal.
import { queuePairsPerSecond } from './row2-throughput.js';
import { fmt, type RowResult } from './report.js';
import { percentile } from './stats.js';
import type { BenchSizes } from './sizes.js';

const ROUNDS = 5;

export async function row12(sizes: BenchSizes): Promise<RowResult> {
  const n = Math.min(sizes.throughputPairs, 500_000);
  const journal: number[] = [];
  const memory: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const run = async (durability: 'journal' | 'memory') => (await queuePairsPerSecond(n, sizes.records, { durability })).perSecond;
    const [m, j] = round % 2 === 0 ? [await run('memory'), await run('journal')] : [await run('journal'), await run('memory')].reverse();
    memory.push(m!);
    journal.push(j!);
    ratios.push(j! / m!);
  }
  const ratio = percentile([...ratios], 0.5);
  const median = (xs: number[]) => percentile([...xs], 0.5);
  return {
    row: 12,
    what: `durable throughput with the journal, ${n.toLocaleString('en-US')} pairs (${ROUNDS} rounds, order alternating; median of each round's ratio)`,
    measured: `journal: ${fmt.rate(median(journal))} (median)`,
    baseline: `durability 'memory': ${fmt.rate(median(memory))} (median)`,
    ratio: `${fmt.ratio(ratio)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    target: '≥ 0.9× memory',
    met: ratio >= 0.9,
    figures: { journalPairsPerSecond: median(journal), memoryPairsPerSecond: median(memory), ratio, journalRuns: journal.join(','), memoryRuns: memory.join(','), roundRatios: ratios.join(',') },
  };
}
