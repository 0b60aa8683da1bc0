// A Postgres store's queue at process end, in real child processes: no synchronous database
// write exists, so what is in memory at exit goes to the local spill dir, and the next start
// on that spill dir applies it; kill -9 loses nothing acknowledged (the journal).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPgWorkload } from '../../faults/child.js';
import { auditPerRecord, makePgRecords, readPgCues } from '../../faults/pg-audit.js';
import type { PgWorkloadConfig } from '../../faults/pg-workload.js';
import { silentLogger } from '../../src/log.js';
import { listSpillDir } from '../../src/spill/spill-dir.js';
import { readSpillFile } from '../../src/spill/spill-reader.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { freshSchema, query, testDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

const RECORDS = 10;

async function place(): Promise<Pick<PgWorkloadConfig, 'url' | 'schema' | 'spillDir' | 'records'>> {
  const { url } = await testDatabase();
  const schema = freshSchema();
  await makePgRecords(url, schema, RECORDS);
  return { url, schema, spillDir: join(tempDir(), 'spill'), records: RECORDS };
}

async function storedEntries(url: string, schema: string): Promise<number> {
  return (await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${schema}.provenance`))[0]!.n;
}

/** The next start: a store on the same spill dir with its queue on, until `expected` entries are stored. */
async function nextStart(p: Awaited<ReturnType<typeof place>>, expected: number): Promise<void> {
  const store = await PostgresMemoryStore.open({ connectionString: p.url, schema: p.schema, spillDir: p.spillDir, logger: silentLogger });
  try {
    store.enableProvenanceQueue({ idlePollMs: 50 });
    const until = performance.now() + 20_000;
    while ((await store.stats()).entries < expected && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await store.close();
  }
}

describe('Postgres store at process end (real child processes)', () => {
  // Checked: with the exit drain unregistered (exitHook: false in the child's queue options)
  // the spill dir stays empty and this fails on the spilled-pair count.
  it('process.exit(0) with 100 recalls in memory: their 1,000 pairs are spilled at exit and applied by the next start', async () => {
    const p = await place();
    const child = startPgWorkload({ ...p, cuePrefix: 'x', ending: 'exit', recalls: 100, queue: { coalesceMs: 60_000, maxBatchPairs: 10_000 } });
    const r = await child.done;
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false });
    expect(r.stdout).toContain('acked 100 pending 1000');
    expect(await storedEntries(p.url, p.schema)).toBe(0); // nothing reached the database at exit
    let spilled = 0;
    for (const name of (await listSpillDir(p.spillDir)).pending) {
      const content = await readSpillFile(join(p.spillDir, name), name);
      if (content.kind === 'pairs') spilled += content.pairs.length;
    }
    expect(spilled).toBe(1000);
    await nextStart(p, 1000);
    const audit = auditPerRecord(await readPgCues(p.url, p.schema, RECORDS), 'x', 100);
    expect(audit).toEqual({ durable: 1000, lost: 0, duplicated: 0, orderViolations: 0 });
    expect((await listSpillDir(p.spillDir)).pending).toEqual([]);
  });

  // Checked: with durability 'memory' in the child, recalls acknowledged before the kill are
  // missing after the next start and this fails on `lost`.
  it('kill -9 mid-load: every acknowledged recall is stored once, in order, after the next start (journal)', async () => {
    const p = await place();
    const child = startPgWorkload({ ...p, cuePrefix: 'k', ending: 'recall', durationMs: 60_000, queue: { coalesceMs: 60_000 } });
    await child.waitForLine(/^acked 40$/);
    child.kill('SIGKILL');
    const r = await child.done;
    expect(r.signal).toBe('SIGKILL');
    const acked = Math.max(...[...r.stdout.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1])));
    await nextStart(p, acked * RECORDS);
    const audit = auditPerRecord(await readPgCues(p.url, p.schema, RECORDS), 'k', acked);
    expect(audit).toMatchObject({ durable: acked * RECORDS, lost: 0, duplicated: 0, orderViolations: 0 });
  });
});

describe('entry ids of one host across restarts', () => {
  // Checked: with raiseEntryIdFloor(floor) taken out of PostgresMemoryStore.open, the second
  // run's entries (clock an hour behind) sort before the first run's: order violations.
  it('a restart on a clock one hour behind still appends after the first run, in every record', async () => {
    const p = await place();
    const first = await startPgWorkload({ ...p, cuePrefix: 'a', ending: 'recall', durationMs: 400 }).done;
    const second = await startPgWorkload({ ...p, cuePrefix: 'b', ending: 'recall', durationMs: 400, clockOffsetMs: -3_600_000 }).done;
    expect([first.code, second.code]).toEqual([0, 0]);
    const cues = await readPgCues(p.url, p.schema, RECORDS);
    for (const list of cues.values()) {
      const firstB = list.findIndex((c) => c.startsWith('b'));
      expect(firstB).toBeGreaterThan(0);
      expect(list.slice(firstB).every((c) => c.startsWith('b'))).toBe(true);
    }
    const marks = await query<{ host: string; ms: string }>(p.url, `SELECT host, high_water_ms::text AS ms FROM ${p.schema}.host_marks`);
    expect(marks).toHaveLength(1);
    expect(marks[0]!.host).toContain(p.spillDir);
  });

  // Checked: with the floor taken from the local files' names (their wall time at creation,
  // as before), the second run's ids started below the journaled pairs of the first: b's
  // sorted among a's in every record.
  it('kill -9 with pairs only in the journal, then a restart an hour behind: every record has the first run before the second', { timeout: 90_000 }, async () => {
    const p = await place();
    const first = startPgWorkload({ ...p, cuePrefix: 'a', ending: 'recall', durationMs: 60_000, queue: { coalesceMs: 60_000 } });
    await first.waitForLine(/^acked 40$/);
    first.kill('SIGKILL');
    const killed = await first.done;
    const acked = Math.max(...[...killed.stdout.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1])));
    const second = await startPgWorkload({ ...p, cuePrefix: 'b', ending: 'recall', durationMs: 400, clockOffsetMs: -3_600_000 }).done;
    expect(second.code, second.stderr).toBe(0);
    const secondAcked = Number(/"acked":(\d+)/.exec(second.stdout)?.[1]);
    await nextStart(p, (acked + secondAcked) * RECORDS);
    const cues = await readPgCues(p.url, p.schema, RECORDS);
    for (const list of cues.values()) {
      expect(list.filter((c) => c.startsWith('a')).length).toBeGreaterThanOrEqual(acked);
      const firstB = list.findIndex((c) => c.startsWith('b'));
      expect(list.slice(firstB).every((c) => c.startsWith('b'))).toBe(true);
    }
  });
});
