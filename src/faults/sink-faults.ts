// A flaky sink (10 % of calls throw) and a sink that is down, then back: 0 lost, 0 duplicated.
import { runWorkload } from './child.js';
import { audit, exactResult, freshStore, RECORDS, type ScenarioResult } from './scenario.js';

export async function flakySinkScenario(pairs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('flaky');
  const r = await runWorkload({
    storePath,
    ending: 'settle',
    pairs,
    records: RECORDS,
    sinkFailRate: 0.1,
    queue: { coalesceMs: 2, maxBatchPairs: 50, retryBaseMs: 5, retryMaxMs: 100, idlePollMs: 100 },
  });
  const stats = lastJsonLine(r.stdout);
  return exactResult('sink throws on 10 % of calls', 1, pairs, await audit(storePath, 'c', pairs), `exit ${r.code}; sink errors ${stats?.writeErrors ?? '?'}`);
}

export async function sinkDownScenario(pairs: number, downMs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('down');
  const r = await runWorkload({
    storePath,
    ending: 'settle',
    pairs,
    records: RECORDS,
    sinkDownMs: downMs,
    yieldEvery: 5,
    queue: { coalesceMs: 2, maxBatchPairs: 100, retryBaseMs: 20, retryMaxMs: 500, idlePollMs: 100 },
  });
  const stats = lastJsonLine(r.stdout);
  return exactResult(
    `sink down ${downMs / 1000} s, then back`,
    1,
    pairs,
    await audit(storePath, 'c', pairs),
    `exit ${r.code}; spilled ${stats?.spilledPairs ?? '?'}, read back ${stats?.respooledPairs ?? '?'}`,
  );
}

export function lastJsonLine(stdout: string): Record<string, number> | undefined {
  const line = stdout.trim().split('\n').at(-1);
  try {
    return line ? (JSON.parse(line) as Record<string, number>) : undefined;
  } catch {
    return undefined;
  }
}
