// Issue 9, items 3, 6 and 7, from outside: poisoned calls mixed into a workload, entries
// given back with ids already stored, and a wall clock stepped back between runs or
// jumping a day ahead for a few recalls. Real child processes, real LMDB; each reports
// lost, doubled and out-of-order pairs, and a child that hangs fails the scenario.
import { join } from 'node:path';
import { journalStatus } from '../src/journal/journal-status.js';
import { silentLogger } from '../src/log.js';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../src/store/store-layout.js';
import { runWorkload, startWorkload, type ChildResult } from './child.js';
import { audit, exactResult, freshStore, RECORDS, type ScenarioResult } from './scenario.js';
import type { WorkloadConfig } from './workload.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ended(r: ChildResult, code = 0): string | null {
  if (r.timedOut) return 'hung: killed after the time limit';
  return r.code === code ? null : `exit ${r.code ?? r.signal}: ${r.stderr.split('\n').slice(-3).join(' ')}`;
}

function withProblem(result: ScenarioResult, problem: string | null, note?: string): ScenarioResult {
  if (problem) return { ...result, pass: false, note: `UNEXPECTED ${problem}` };
  return note ? { ...result, note } : result;
}

/** Every entry of r0..r9, in stored order. */
async function entries(storePath: string) {
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  try {
    const out: { recordId: string; cue: string; entryId: string }[] = [];
    for (let r = 0; r < RECORDS; r++) {
      for (const e of (await store.get(`r${r}`))?.provenance ?? []) out.push({ recordId: `r${r}`, cue: e.cue, entryId: e.entryId ?? '' });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Item 3: every third batch a call with one valid pair and one that is not plain JSON data, then process.exit. */
async function poisonThenExit(pairs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('poison');
  const cfg: WorkloadConfig = { storePath, ending: 'exit', pairs, records: RECORDS, batchPairs: 10, poisonEvery: 3, queue: { coalesceMs: 60_000 } };
  const r = await runWorkload(cfg);
  const poisoned = Math.ceil(pairs / 10 / 3);
  const leaked = (await entries(storePath)).filter((e) => e.cue === 'poison' || e.cue.startsWith('neighbour')).length;
  const told = /poison rejected (\d+) accepted (\d+)/.exec(r.stdout);
  const problem =
    ended(r) ??
    (told?.[1] !== String(poisoned) || told[2] !== '0' ? `poisoned calls: ${told?.[0] ?? 'not reported'} of ${poisoned}` : null) ??
    (leaked > 0 ? `${leaked} pairs of rejected calls were stored` : null);
  const result = exactResult('poison entries mixed with valid ones, then process.exit', 1, pairs, await audit(storePath, 'c', pairs));
  return withProblem(result, problem, `${poisoned} poisoned calls refused whole (cycle, BigInt, NaN, function, undefined, Date); 0 of their pairs stored`);
}

/** Item 6: an entry read back from the store given back twice, and under another record. */
async function callerIdsTwice(pairs: number, ending: 'settle' | 'exit'): Promise<ScenarioResult> {
  const storePath = await freshStore('ids');
  const every = 5;
  const cfg: WorkloadConfig = {
    storePath, ending, pairs, records: RECORDS, batchPairs: 10, callerIdEvery: every,
    queue: ending === 'exit' ? { coalesceMs: 60_000 } : { coalesceMs: 0, maxBatchPairs: 4 },
  };
  const r = await runWorkload(cfg);
  const calls = Math.ceil(pairs / 10 / every);
  const all = await entries(storePath);
  const held = all.filter((e) => e.cue.startsWith('held')).length;
  const replaced = all.filter((e) => e.cue.startsWith('again')).length;
  const twins = all.filter((e) => e.cue.startsWith('twin')).length;
  const a = await audit(storePath, 'c', pairs);
  const result = exactResult(`caller-chosen entryId twice (${ending === 'exit' ? 'process.exit: sync path' : 'sink calls in flight'})`, 1, pairs + 2 * calls, {
    ...a,
    durable: a.durable + held + twins,
    lost: a.lost + (calls - held) + Math.max(0, calls - twins),
    duplicated: a.duplicated + replaced + Math.max(0, twins - calls),
  });
  return withProblem(result, ended(r), `${calls} stored entries given back twice: ${replaced} replaced, ${held} kept; ${twins} copies under another record`);
}

/** Item 7: two runs, the second on a wall clock one hour behind. */
async function clockSteppedBack(pairs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('clock-back');
  const base: WorkloadConfig = { storePath, ending: 'settle', pairs, records: RECORDS, batchPairs: 10, queue: { coalesceMs: 1 } };
  const first = await runWorkload({ ...base, clockOffsetMs: 0 });
  const second = await runWorkload({ ...base, clockOffsetMs: -HOUR, firstPair: pairs });
  const result = exactResult('two runs, the clock stepped back an hour', 2, 2 * pairs, await audit(storePath, 'c', 2 * pairs));
  return withProblem(result, ended(first) ?? ended(second));
}

/** Item 7 with a crash: kill -9 with pairs only in the journal, restart an hour behind. */
async function killThenClockBack(pairs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('kill-clock');
  const base: WorkloadConfig = { storePath, ending: 'wait', pairs, records: RECORDS, batchPairs: 10, queue: { coalesceMs: 60_000 } };
  const child = startWorkload(base);
  await child.waitForLine(/^ready$/);
  const journalDir = join(storePath, JOURNAL_DIR_NAME);
  // Acknowledged = in the journal (the page cache): wait for that, then kill.
  for (let journaled = 0; journaled < pairs; ) {
    journaled = (await journalStatus(journalDir)).segments.reduce((n, s) => n + s.pairs, 0);
    if (journaled < pairs) await new Promise((r) => setImmediate(r));
  }
  child.kill('SIGKILL');
  await child.done;
  const second = await runWorkload({ ...base, ending: 'settle', clockOffsetMs: -HOUR, firstPair: pairs, queue: { coalesceMs: 1, idlePollMs: 100, claimStaleMs: 2000 } });
  const result = exactResult('kill -9 with pairs in the journal, restart an hour behind', 2, 2 * pairs, await audit(storePath, 'c', 2 * pairs));
  return withProblem(result, ended(second));
}

/** Item 7 inside a process: a day ahead for five batches of recalls, then back. */
async function clockJumpsADay(pairs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('clock-jump');
  const cfg: WorkloadConfig = {
    storePath, ending: 'settle', pairs, records: RECORDS, batchPairs: 10,
    clockJump: { atBatch: 5, batches: 5, aheadMs: DAY }, queue: { coalesceMs: 1 },
  };
  const r = await runWorkload(cfg);
  const ahead = (await entries(storePath)).filter((e) => Number(e.entryId.slice(0, 13)) > Date.now() + 60_000).length;
  const result = exactResult('clock a day ahead for five batches of recalls, then back', 1, pairs, await audit(storePath, 'c', pairs));
  return withProblem(result, ended(r) ?? (ahead > 0 ? `${ahead} entries stamped ahead of the real time` : null), '0 entry ids ahead of the real time');
}

export async function badInputScenarios(pairs: number): Promise<ScenarioResult[]> {
  return [await poisonThenExit(pairs), await callerIdsTwice(pairs, 'settle'), await callerIdsTwice(pairs, 'exit')];
}

export async function clockScenarios(pairs: number): Promise<ScenarioResult[]> {
  return [await clockSteppedBack(pairs), await killThenClockBack(pairs), await clockJumpsADay(pairs)];
}
