// Three processes share one store and one spill directory under overload.
import { runWorkload } from './child.js';
import { lastJsonLine } from './sink-faults.js';
import { audit, exactResult, freshStore, RECORDS, sumAudits, type ScenarioResult } from './scenario.js';

export async function sharedDirScenario(pairsEach: number): Promise<ScenarioResult> {
  const storePath = await freshStore('shared');
  const prefixes = ['a', 'b', 'c'];
  const results = await Promise.all(
    prefixes.map((cuePrefix) =>
      runWorkload({
        storePath,
        ending: 'settle',
        cuePrefix,
        pairs: pairsEach,
        records: RECORDS,
        sinkDelayMs: 10,
        yieldEvery: 3,
        queue: { maxQueueSize: 4, maxBatchPairs: 25, coalesceMs: 0, idlePollMs: 100, claimStaleMs: 2000 },
      }),
    ),
  );
  const audits = await Promise.all(prefixes.map((p) => audit(storePath, p, pairsEach)));
  const spilled = results.reduce((n, r) => n + (lastJsonLine(r.stdout)?.spilledPairs ?? 0), 0);
  return exactResult(
    'three processes share a spill dir under overload',
    3,
    pairsEach * 3,
    sumAudits(audits),
    `exit codes ${results.map((r) => r.code).join(',')}; spilled ${spilled}`,
  );
}
