// Three processes share one store and one spill directory: under overload, and with one
// of them killed with -9.
import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditAcks, readAckLog, storedRecalls } from './ack-audit.js';
import { startChildScript, startWorkload } from './child.js';
import { RECALL_CHILD } from './kill9.js';
import type { RecallChildConfig } from './recall-child.js';
import { lastJsonLine } from './sink-faults.js';
import { audit, exactResult, freshStore, RECORDS, sumAudits, type ScenarioResult } from './scenario.js';

const PROVQ = fileURLToPath(new URL('../dist/cli/provq.js', import.meta.url));

/** `provq stats` on the store (the built CLI), as an operator would run it on a live store. */
function provqStats(storePath: string): Promise<{ code: number | null; signal?: string; timedOut?: boolean; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PROVQ, 'stats', '--store', storePath, '--json'], { timeout: 120_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export async function sharedDirScenario(pairsEach: number): Promise<ScenarioResult> {
  const storePath = await freshStore('shared');
  const prefixes = ['a', 'b', 'c'];
  // No start barrier: each starts writing as soon as it has opened the store, so opens overlap
  // the others' commits (the open race, docs/guarantees.md, fixed by the lmdb rebuild).
  const children = prefixes.map((cuePrefix) =>
    startWorkload({
      storePath,
      ending: 'settle',
      cuePrefix,
      pairs: pairsEach,
      records: RECORDS,
      sinkDelayMs: 10,
      yieldEvery: 3,
      queue: { maxQueueSize: 4, maxBatchPairs: 25, coalesceMs: 0, idlePollMs: 100, claimStaleMs: 2000 },
    }),
  );
  const results = await Promise.all(children.map((c) => c.done));
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

/**
 * Three processes recall on one store (one spill dir, one journal dir, a segment each); one
 * is killed with -9 at a random moment while the others go on, read back what it left and
 * close; a restart takes what is still there. Every pair any of them acknowledged must be
 * stored exactly once.
 */
export async function sharedDirKill9Scenario(runs: number, recallsEach: number): Promise<ScenarioResult> {
  const totals = { acknowledged: 0, durable: 0, lost: 0, duplicated: 0, orderViolations: 0 };
  const notes: string[] = [];
  const failures: string[] = [];
  let failed = 0;
  for (let run = 0; run < runs; run++) {
    const storePath = await freshStore('shared-kill9');
    const prefixes = ['a', 'b', 'c'];
    const children = prefixes.map((cuePrefix, i) =>
      startChildScript(RECALL_CHILD, {
        storePath,
        mode: 'yield',
        cuePrefix,
        ackLog: join(storePath, `acknowledged-${cuePrefix}.log`),
        // No start barrier: each recalls as soon as it has opened the store, so the later
        // opens overlap the first one's commits (the open race, docs/guarantees.md).
        // The first runs until killed; the others stop by themselves.
        ...(i === 0 ? {} : { recalls: recallsEach }),
      } satisfies RecallChildConfig),
    );
    await Promise.all(children.map((c) => c.waitForLine(/^ready$/)));
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 1000));
    children[0]!.kill('SIGKILL');
    // The restart and an operator's `provq stats` open the store while the survivors commit.
    const [ends, restart, stats] = await Promise.all([
      Promise.all(children.map((c) => c.done)),
      startChildScript(RECALL_CHILD, { storePath, mode: 'drain' } satisfies RecallChildConfig).done,
      provqStats(storePath),
    ]);
    const bad = [...ends.slice(1).map((e, i) => ({ who: `survivor ${prefixes[i + 1]}`, e })), { who: 'restart', e: restart }, { who: 'provq stats', e: stats }].filter(({ e }) => e.code !== 0);
    if (bad.length > 0) {
      failed++;
      const tail = (t: string) => t.trim().split('\n').slice(-2).join(' | ').slice(0, 300);
      failures.push(...bad.map(({ who, e }) => `run ${run} ${who}: exit ${e.code ?? e.signal}${e.timedOut ? ' (hung)' : ''}: ${tail(e.stderr) || tail(e.stdout)}`));
    }
    const survivorsReadBack = ends.slice(1).reduce((n, e) => n + (lastJsonLine(e.stdout)?.respooledPairs ?? 0), 0);
    notes.push(`${survivorsReadBack}/${lastJsonLine(restart.stdout)?.respooledPairs ?? '?'}`);
    for (const p of prefixes) {
      const a = auditAcks(readAckLog(join(storePath, `acknowledged-${p}.log`)), await storedRecalls(storePath, p));
      if (a.lost > 0 && process.env.PROVQ_FAULTS_KEEP) keepForPostMortem(storePath, run, [...ends, restart]);
      if (a.lost > 0) failures.push(`run ${run} ${p === 'a' ? 'killed' : 'survivor'} ${p}: lost ${a.lost} pairs of recalls ${a.lostRecalls.slice(0, 8).join(',')}${a.lostRecalls.length > 8 ? ',…' : ''} (last acknowledged ${a.lastAcknowledged})`);
      totals.acknowledged += a.acknowledged;
      totals.durable += a.durable;
      totals.lost += a.lost;
      totals.duplicated += a.duplicated;
      totals.orderViolations += a.orderViolations;
    }
  }
  return {
    scenario: 'three processes share a store and its journal dir, one killed with -9',
    runs,
    enqueued: totals.acknowledged,
    durable: totals.durable,
    lost: totals.lost,
    duplicated: totals.duplicated,
    orderViolations: totals.orderViolations,
    expectation: '0 acknowledged lost, 0 duplicated, 0 out of order',
    pass: totals.lost === 0 && totals.duplicated === 0 && totals.orderViolations === 0 && failed === 0,
    note: `runs with a survivor or restart failing: ${failed}${failures.length ? ` (${failures.join('; ')})` : ''}; pairs read back by survivors/restart per run: ${notes.join(' ')}`,
  };
}

/** PROVQ_FAULTS_KEEP=<dir>: a run that lost pairs leaves a copy of its store and its children's output there. */
function keepForPostMortem(storePath: string, run: number, outputs: { stdout: string; stderr: string }[]): void {
  const to = join(process.env.PROVQ_FAULTS_KEEP!, `shared-kill9-run-${run}-${Date.now()}`);
  cpSync(storePath, to, { recursive: true });
  outputs.forEach((o, i) => writeFileSync(join(to, `child-${i}.out`), `${o.stdout}\n--- stderr\n${o.stderr}`));
}
