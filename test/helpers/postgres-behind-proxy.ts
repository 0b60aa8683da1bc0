// A Postgres store reached through a proxy (pg-proxy.ts) that can lose the answers to a
// statement: a fresh schema in the test database, a spill dir of its own. Closed after each
// test of the file that asks for one.
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { freshSchema, testDatabase } from './postgres.js';
import { pgProxy, type PgProxy } from './pg-proxy.js';
import { tempDir } from './temp.js';

const stores: PostgresMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

export async function storeBehindProxy(): Promise<{ store: PostgresMemoryStore; proxy: PgProxy }> {
  const { url } = await testDatabase();
  const proxy = await pgProxy(url);
  const store = await PostgresMemoryStore.open({ connectionString: proxy.url, spillDir: join(tempDir(), 'spill'), schema: freshSchema(), logger: silentLogger });
  stores.push(store);
  return { store, proxy };
}
