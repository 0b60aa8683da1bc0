// Row 6: from process.exit to the process being gone, with `exitPairs` pairs pending that
// the exit hook must make durable, against a child that exits with its queue empty.
import { auditCues, readCues } from '../faults/audit.js';
import { benchDir } from './fixtures.js';
import { fmt, type RowResult } from './report.js';
import type { Row6Config, Row6Marker } from './row6-exit-child.js';
import { benchChildScript, lastJsonLine, runBenchChild } from './row5-6-child-process.js';
import type { BenchSizes } from './sizes.js';
import { percentile } from './stats.js';

const RUNS = 3;
const MAX_EXIT_MS = 1000;

interface ExitRun {
  ms: number;
  pendingPairs: number;
  spilledPairs: number;
  lost: number;
  duplicated: number;
}

async function timeExit(records: number, pairs: number): Promise<ExitRun> {
  const config: Row6Config = { dir: benchDir('row6'), records, pairs };
  const run = await runBenchChild(benchChildScript('row6-exit-child.js'), config, { timeoutMs: 60_000 });
  const marker = lastJsonLine<Row6Marker>(run, 'row 6');
  const { lost, duplicated } = auditCues(await readCues(config.dir, records), 'cue ', pairs);
  return {
    ms: run.exitedAtWallMs - marker.exitCalledAt,
    pendingPairs: marker.pendingPairs,
    spilledPairs: marker.spilledPairs,
    lost,
    duplicated,
  };
}

export async function row6(sizes: BenchSizes): Promise<RowResult> {
  const loaded: ExitRun[] = [];
  const idle: ExitRun[] = [];
  // Alternated, so both see the same machine.
  for (let i = 0; i < RUNS; i++) {
    idle.push(await timeExit(sizes.records, 0));
    loaded.push(await timeExit(sizes.records, sizes.exitPairs));
  }
  const ms = loaded.map((r) => r.ms);
  const median = percentile([...ms], 0.5);
  const max = Math.max(...ms);
  const baseline = percentile(idle.map((r) => r.ms), 0.5);
  const lost = loaded.reduce((sum, r) => sum + r.lost, 0);
  const duplicated = loaded.reduce((sum, r) => sum + r.duplicated, 0);
  const allPending = loaded.every((r) => r.pendingPairs === sizes.exitPairs && r.spilledPairs === 0);
  return {
    row: 6,
    what: `process.exit → exited, ${sizes.exitPairs.toLocaleString('en-US')} pairs pending, ${RUNS} runs`,
    measured: `median ${fmt.ms(median)}, max ${fmt.ms(max)}, lost ${lost}, dup ${duplicated}`,
    baseline: `0 pending: ${fmt.ms(baseline)}`,
    ratio: `median ${fmt.ratio(median / baseline)}`,
    target: '≤ 1 s, all durable',
    met: max <= MAX_EXIT_MS && lost === 0 && duplicated === 0 && allPending,
    figures: { medianMs: median, maxMs: max, baselineMs: baseline, runsMs: ms.join(' '), lost, duplicated, allPending },
    note: allPending ? undefined : 'not every pair was still pending in memory at exit (some drained or spilled first)',
  };
}
