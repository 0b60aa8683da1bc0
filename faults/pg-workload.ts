// A workload on a PostgresMemoryStore for a child process (tests and the fault suite): it
// recalls through the queue, printing `acked N` once recall N has resolved (its pairs are
// acknowledged), then ends as the parent asked. Run it as a child with:
// node --import tsx faults/pg-workload-child.ts '<json PgWorkloadConfig>'
import { silentLogger } from '../src/log.js';
import type { QueueOptions } from '../src/schemas.js';
import { PostgresMemoryStore } from '../src/store/postgres-memory-store.js';
import { connectionEnded } from '../src/store/postgres/fresh-reads.js';

export interface PgWorkloadConfig {
  url: string;
  schema: string;
  spillDir: string;
  /** Records r0..r{records-1}, made by the parent; every recall hits all of them. */
  records: number;
  /** Cue of recall i: `memory <cuePrefix><i, 9 digits>`, so runs and processes can be told apart. */
  cuePrefix: string;
  /** 'exit': `recalls` recalls, then process.exit(0) with every pair still in memory; 'recall': recall for `durationMs`, then close. */
  ending: 'exit' | 'recall';
  recalls?: number;
  durationMs?: number;
  queue?: QueueOptions;
  /** Run on a clock this far off (negative: behind), as after an NTP step or on a host whose clock lags. */
  clockOffsetMs?: number;
}

export function recallCue(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(9, '0')}`;
}

export async function runPgWorkload(cfg: PgWorkloadConfig): Promise<void> {
  if (cfg.clockOffsetMs) {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + cfg.clockOffsetMs!;
  }
  const store = await openWhenReachable(cfg);
  const queue = store.enableProvenanceQueue({ logger: silentLogger, ...cfg.queue });
  const recallOnce = (i: number) => store.recall({ cue: `memory ${recallCue(cfg.cuePrefix, i)}`, sessionId: `pid-${process.pid}`, k: cfg.records });

  if (cfg.ending === 'exit') {
    for (let i = 0; i < (cfg.recalls ?? 0); i++) {
      const hits = await recallOnce(i);
      if (hits.length !== cfg.records) throw new Error(`recall ${i} hit ${hits.length} records, not ${cfg.records}`);
    }
    process.stdout.write(`acked ${cfg.recalls ?? 0} pending ${queue.stats().pendingPairs}\n`);
    process.exit(0);
  }

  const end = performance.now() + (cfg.durationMs ?? 1000);
  let acked = 0;
  let failed = 0;
  while (performance.now() < end) {
    try {
      const hits = await recallOnce(acked);
      if (hits.length !== cfg.records) throw new Error(`recall ${acked} hit ${hits.length} records`);
      acked++;
      process.stdout.write(`acked ${acked}\n`);
    } catch {
      failed++; // the database is down: the search itself cannot run; try again shortly
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  await store.close();
  process.stdout.write(`done ${JSON.stringify({ acked, failed, ...queue.stats() })}\n`);
}

/**
 * A host restarted while the database is down waits for it, as an app's startup would
 * (bounded: 30 s); a refused open is not a fault of the queue.
 */
async function openWhenReachable(cfg: PgWorkloadConfig): Promise<PostgresMemoryStore> {
  const giveUp = performance.now() + 30_000;
  for (;;) {
    try {
      return await PostgresMemoryStore.open({ connectionString: cfg.url, schema: cfg.schema, spillDir: cfg.spillDir, logger: silentLogger });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      const code = (cause as { code?: string } | undefined)?.code ?? '';
      // Refused while stopped, "the database system is starting up" (57P03), or the server
      // stopping while the store opened (57P01: 1 of 4 hosts exited 1 this way, 2026-12-01).
      if (!(code === 'ECONNREFUSED' || connectionEnded(cause)) || performance.now() > giveUp) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
