// Probe (not a row): row 12 by the main thread's CPU — utime + stime of the main thread
// (/proc/self/task/<pid>/stat) a pair, journal against memory mode, in rounds of row 2's
// run that alternate their order; the first round is a warm-up. Both modes are bound by
// this thread, and its CPU time moves far less than the row's wall clock on a shared host
// (session 15: wall ratios of one run from 0.65 to 1.28 while helpers ran).
// Run: R=4 node --expose-gc --import tsx bench/probe-journal-cpu.ts
import { readFileSync } from 'node:fs';
import { removeBenchDirs } from './fixtures.js';
import { queuePairsPerSecond } from './row2-throughput.js';

const ROUNDS = Number(process.env.R ?? 6);
const PAIRS = 500_000;
type Mode = 'journal' | 'memory';

/** The main thread's CPU time so far, in ms (clock ticks of 10 ms). */
function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;

const cpuUs: Record<Mode, number[]> = { journal: [], memory: [] };
const perSecond: Record<Mode, number[]> = { journal: [], memory: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    const order: Mode[] = r % 2 === 0 ? ['memory', 'journal'] : ['journal', 'memory'];
    for (const durability of order) {
      const before = mainThreadCpuMs();
      const q = await queuePairsPerSecond(PAIRS, 1000, { durability });
      const after = mainThreadCpuMs();
      if (r === 0) continue;
      cpuUs[durability].push(((after - before) * 1000) / PAIRS);
      perSecond[durability].push(q.perSecond);
    }
  }
  const j = median(cpuUs.journal);
  const m = median(cpuUs.memory);
  console.log(
    `main-thread µs a pair: journal ${j.toFixed(2)}, memory ${m.toFixed(2)}, the journal's own ${(j - m).toFixed(2)}; ratio by CPU ${(m / j).toFixed(3)} | ` +
      `pairs/s journal ${Math.round(median(perSecond.journal))}, memory ${Math.round(median(perSecond.memory))}`,
  );
  console.log(`rounds: journal ${cpuUs.journal.map((x) => x.toFixed(2)).join(' ')} | memory ${cpuUs.memory.map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await removeBenchDirs();
}
