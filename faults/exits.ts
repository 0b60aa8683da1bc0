// Every ordinary way a process ends, with pairs still waiting: nothing may be lost or doubled.
import { runWorkload, startWorkload, type ChildResult } from './child.js';
import type { WorkloadConfig } from './workload.js';
import { audit, exactResult, freshStore, RECORDS, type ScenarioResult } from './scenario.js';

const PAIRS = 2000;

type Case = { name: string; ending: WorkloadConfig['ending']; signal?: NodeJS.Signals; extra?: Partial<WorkloadConfig> };

const CASES: Case[] = [
  // A slow sink and no coalescing: a sink call is in flight when exit comes.
  { name: 'process.exit mid-batch', ending: 'exit', extra: { sinkDelayMs: 30, queue: { coalesceMs: 0, maxBatchPairs: 200 } } },
  // Big batches: exit comes while lmdb is still writing or committing a 4096-pair sink call,
  // which the exit drain then writes again, synchronously (once, by entryId).
  {
    name: 'process.exit mid-put of 4096-pair batches',
    ending: 'exit',
    extra: { pairs: 20_000, batchPairs: 100, midBatch: true, queue: { coalesceMs: 0, maxBatchPairs: 4096 } },
  },
  { name: 'SIGTERM', ending: 'wait', signal: 'SIGTERM' },
  { name: 'SIGINT', ending: 'wait', signal: 'SIGINT' },
  { name: 'SIGHUP', ending: 'wait', signal: 'SIGHUP' },
  { name: 'uncaught exception', ending: 'throw' },
  { name: 'unhandled rejection', ending: 'reject' },
  { name: 'natural end', ending: 'natural' },
];

function unexpected(r: ChildResult): string {
  return r.timedOut ? 'UNEXPECTED: did not end (hung), killed' : `UNEXPECTED end ${r.code ?? r.signal}`;
}

export async function exitScenarios(): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const c of CASES) {
    const storePath = await freshStore('exit');
    const cfg: WorkloadConfig = {
      storePath,
      ending: c.ending,
      pairs: PAIRS,
      records: RECORDS,
      openDefaultLmdb: true,
      queue: { coalesceMs: 60_000 },
      ...c.extra,
    };
    let outcome: string;
    if (c.signal) {
      const child = startWorkload(cfg);
      await child.waitForLine(/^ready$/);
      child.kill(c.signal);
      const r = await child.done;
      outcome = r.signal === c.signal && !r.timedOut ? `died by ${c.signal}` : unexpected(r);
    } else {
      const r = await runWorkload(cfg);
      const code = c.ending === 'throw' || c.ending === 'reject' ? 1 : 0;
      outcome = r.code === code && !r.timedOut ? `exit code ${code}` : unexpected(r);
    }
    const result = exactResult(c.name, 1, cfg.pairs, await audit(storePath, 'c', cfg.pairs), outcome);
    result.pass &&= !outcome.startsWith('UNEXPECTED');
    results.push(result);
  }
  return results;
}
