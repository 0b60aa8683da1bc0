// Reads a Postgres store after workloads and counts, per record, what was lost, doubled or
// reordered among acknowledged recalls (every recall hits every record once).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { PostgresMemoryStore } from '../src/store/postgres-memory-store.js';
import { auditCues } from './audit.js';

export async function readPgCues(url: string, schema: string, records: number): Promise<Map<string, string[]>> {
  const spillDir = mkdtempSync(join(tmpdir(), 'provq-pg-audit-')); // never used: no queue
  const store = await PostgresMemoryStore.open({ connectionString: url, schema, spillDir, logger: silentLogger });
  try {
    const out = new Map<string, string[]>();
    for (let r = 0; r < records; r++) {
      const rec = await store.get(`r${r}`);
      out.set(`r${r}`, rec ? rec.provenance.map((e) => e.cue.replace(/^memory /, '')) : []);
    }
    return out;
  } finally {
    await store.close();
    rmSync(spillDir, { recursive: true, force: true });
  }
}

/** Each record must hold recalls 0..acked-1 of `prefix` once each, in order. */
export function auditPerRecord(cues: Map<string, string[]>, prefix: string, acked: number) {
  const total = { durable: 0, lost: 0, duplicated: 0, orderViolations: 0 };
  for (const [id, list] of cues) {
    const a = auditCues(new Map([[id, list]]), prefix, acked);
    total.durable += a.durable;
    total.lost += a.lost;
    total.duplicated += a.duplicated;
    total.orderViolations += a.orderViolations;
  }
  return total;
}

/** Makes records r0..r{n-1} (text `memory record i`) in a new store at url/schema. */
export async function makePgRecords(url: string, schema: string, n: number): Promise<void> {
  const spillDir = mkdtempSync(join(tmpdir(), 'provq-pg-setup-'));
  const store = await PostgresMemoryStore.open({ connectionString: url, schema, spillDir, logger: silentLogger });
  try {
    for (let r = 0; r < n; r++) await store.insert({ id: `r${r}`, text: `memory record ${r}` });
  } finally {
    await store.close();
    rmSync(spillDir, { recursive: true, force: true });
  }
}
