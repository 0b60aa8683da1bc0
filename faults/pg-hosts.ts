// Several hosts on one Postgres: three processes, each with its own spill dir, recall for a
// while against one database; the server is stopped and started again mid-run, and one
// process is killed with kill -9 and restarted on its spill dir. Afterwards every
// acknowledged recall must be stored exactly once in every record it hit, in order, and no
// process may hang (each ends by itself once its time is up).
// Checked: with durability 'memory' (and coalesceMs 500) in QUEUE, the killed host's
// acknowledged recalls are lost (56 of 1,808 pairs in a quick run) and the scenario fails.
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import type { QueueOptions } from '../src/schemas.js';
import { journalWriterPid } from '../src/journal/journal-names.js';
import { listSpillDir } from '../src/spill/spill-dir.js';
import { PostgresMemoryStore } from '../src/store/postgres-memory-store.js';
import { startPgWorkload, type ChildResult, type RunningChild } from './child.js';
import { auditPerRecord, makePgRecords, readPgCues } from './pg-audit.js';
import type { PgWorkloadConfig } from './pg-workload.js';
import { startPostgres } from './postgres-server.js';
import { scratchDir, type ScenarioResult } from './scenario.js';

const RECORDS = 8;
const SCHEMA = 'provq';
/** Fast retries and claim take-over, so a short run sees spills, read-backs and a dead writer's files handled. */
const QUEUE: QueueOptions = { retryBaseMs: 20, retryMaxMs: 500, maxAttempts: 4, claimStaleMs: 2000, idlePollMs: 100 };

const acksOf = (r: ChildResult) => Math.max(0, ...[...r.stdout.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1])));

export async function pgHostsScenario(durationMs: number, downMs: number): Promise<ScenarioResult> {
  const server = await startPostgres();
  try {
    await makePgRecords(server.url, SCHEMA, RECORDS);
    const root = scratchDir('pg-hosts');
    const host = (i: number, prefix: string, ms: number): PgWorkloadConfig => ({
      url: server.url,
      schema: SCHEMA,
      spillDir: join(root, `host${i}`, 'spill'),
      records: RECORDS,
      cuePrefix: prefix,
      ending: 'recall',
      durationMs: ms,
      queue: QUEUE,
    });
    const started = performance.now();
    const children: { prefix: string; child: RunningChild; killed?: boolean }[] = [
      { prefix: 'a', child: startPgWorkload(host(0, 'a', durationMs)) },
      { prefix: 'b', child: startPgWorkload(host(1, 'b', durationMs)) },
      { prefix: 'c', child: startPgWorkload(host(2, 'c', durationMs)) },
    ];
    await Promise.all(children.map(({ child }) => child.waitForLine(/^acked 1$/)));

    // kill -9 of host 1 while it recalls (acknowledged pairs in its queue and journal, not
    // yet in the database), restarted on its spill dir for the rest of the run.
    const victim = children[1]!;
    await victim.child.waitForLine(/^acked 10$/);
    victim.child.kill('SIGKILL');
    victim.killed = true;
    await victim.child.done;
    children.push({ prefix: 'd', child: startPgWorkload(host(1, 'd', Math.max(1000, durationMs - (performance.now() - started)))) });

    // The database goes away for downMs while the hosts recall.
    await sleep(durationMs * 0.2);
    await server.pause();
    await sleep(downMs);
    await server.resume();

    const results = await Promise.all(children.map(async (c) => ({ ...c, result: await c.child.done })));
    const hung = results.filter((r) => r.result.timedOut || (!r.killed && r.result.code !== 0)).length;

    // The next start on each host applies whatever is left in its spill dir and journal.
    for (let i = 0; i < 3; i++) await applyLeftovers(server.url, host(i, 'z', 0).spillDir);

    const cues = await readPgCues(server.url, SCHEMA, RECORDS);
    let enqueued = 0;
    const total = { durable: 0, lost: 0, duplicated: 0, orderViolations: 0 };
    for (const r of results) {
      const acked = acksOf(r.result);
      enqueued += acked * RECORDS;
      const a = auditPerRecord(cues, r.prefix, acked);
      total.durable += a.durable;
      total.lost += a.lost;
      total.duplicated += a.duplicated;
      total.orderViolations += a.orderViolations;
    }
    const pass = total.lost === 0 && total.duplicated === 0 && total.orderViolations === 0 && hung === 0;
    const failures = results.filter((r) => r.result.timedOut || (!r.killed && r.result.code !== 0));
    return {
      scenario: `postgres: 3 hosts, server down ${downMs / 1000} s, kill -9 + restart`,
      runs: results.length,
      enqueued,
      ...total,
      expectation: '0 lost, 0 duplicated, 0 hung',
      pass,
      note: `${hung} hung${failures.length ? `: ${failures.map((f) => `${f.prefix} ${f.result.code ?? f.result.signal} ${f.result.stderr.slice(-300)}`).join('; ')}` : ''}`,
    };
  } finally {
    await server.stop();
  }
}

/** A store with its queue on, on this host's spill dir, until no spill file or dead journal is left. */
async function applyLeftovers(url: string, spillDir: string): Promise<void> {
  const store = await PostgresMemoryStore.open({ connectionString: url, schema: SCHEMA, spillDir, logger: silentLogger });
  try {
    store.enableProvenanceQueue({ ...QUEUE, logger: silentLogger });
    const until = performance.now() + 60_000;
    while (performance.now() < until) {
      const deadJournals = (await listSpillDir(`${spillDir}-journal`)).pending.filter((n) => journalWriterPid(n) !== process.pid);
      const left = (await listSpillDir(spillDir)).pending.length + deadJournals.length;
      if (left === 0) break;
      await sleep(100);
    }
  } finally {
    await store.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
