// The benchmarks' PostgreSQL: one embedded server for the run (started by the first Postgres
// row, stopped by run.ts), and a store on it with records r0..r(n-1) in a schema of its own.
import { silentLogger } from '../src/log.js';
import { PostgresMemoryStore } from '../src/store/postgres-memory-store.js';
import { startPostgres, type PostgresServer } from '../faults/postgres-server.js';
import { benchDir, recordId } from './fixtures.js';

let server: Promise<PostgresServer> | undefined;
let schemas = 0;

export function benchPostgres(): Promise<PostgresServer> {
  server ??= startPostgres();
  return server;
}

export async function stopBenchPostgres(): Promise<void> {
  const s = server;
  server = undefined;
  if (s) await (await s).stop();
}

export interface PgRecord {
  id: string;
  text: string;
  embedding?: number[];
}

/** A new store (fresh schema) holding `records`, inserted ten at a time. */
export async function pgStoreWith(records: PgRecord[] | number, name: string): Promise<{ store: PostgresMemoryStore; url: string; schema: string }> {
  const { url } = await benchPostgres();
  const schema = `bench_${name}_${++schemas}`;
  const store = await PostgresMemoryStore.open({ connectionString: url, schema, spillDir: `${benchDir(name)}/spill`, logger: silentLogger });
  const list = typeof records === 'number' ? Array.from({ length: records }, (_, i) => ({ id: recordId(i), text: `record ${i}` })) : records;
  for (let from = 0; from < list.length; from += 10) await Promise.all(list.slice(from, from + 10).map((r) => store.insert(r)));
  return { store, url, schema };
}
