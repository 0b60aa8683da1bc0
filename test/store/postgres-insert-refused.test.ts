// PostgresMemoryStore.insert refused by the server with an ERROR (a constraint, a lock wait
// past lock_timeout): the statement was rolled back, nothing was stored, and a call again is
// safe with or without an id. Until session 15 the message for a record without an id said
// "it may have been stored" here too, as for an answer lost with the connection
// (postgres-insert-lost-answer.test.ts), which is the one case where a retry may double it.
// Checked: with the message chosen as before (on the id alone), every test here fails on the
// message; with mayHaveCommitted() true for everything, too.
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { freshSchema, query, testDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

const stores: PostgresMemoryStore[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end().catch(() => undefined);
  for (const s of stores.splice(0)) await s.close();
});

async function openStore(connectionString: string): Promise<{ store: PostgresMemoryStore; schema: string }> {
  const schema = freshSchema();
  const store = await PostgresMemoryStore.open({ connectionString, schema, spillDir: join(tempDir(), 'spill'), logger: silentLogger });
  stores.push(store);
  return { store, schema };
}

async function insertError(store: PostgresMemoryStore, rec: { id?: string; text: string }): Promise<StoreUnavailableError> {
  const err = await store.insert(rec).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(StoreUnavailableError);
  return err as StoreUnavailableError;
}

const NOTHING_STORED = /\(nothing was stored: the server refused the statement and rolled it back; calling it again is safe\)$/;

describe('PostgresMemoryStore.insert refused by the server with an ERROR', () => {
  it.each([
    ['without an id', undefined],
    ['with an id', 'r1'],
  ])('a CHECK constraint (23514), %s: the error says nothing was stored and a call again is safe; nothing is there', async (_how, id) => {
    const { url } = await testDatabase();
    const { store, schema } = await openStore(url);
    await query(url, `ALTER TABLE "${schema}".records ADD CONSTRAINT refused_text CHECK (text <> 'refused')`);
    const err = await insertError(store, { id, text: 'refused' });
    expect(err.message).toMatch(/^insert failed on the Postgres store at .*violates check constraint "refused_text"/);
    expect(err.message).toMatch(NOTHING_STORED);
    expect(err.message).not.toMatch(/may have been stored/);
    expect((await store.stats()).records).toBe(0);
  });

  it('a lock held past lock_timeout (55P03), without an id: a call again as advised stores the record once', async () => {
    const { url } = await testDatabase();
    const withTimeout = new URL(url);
    withTimeout.searchParams.set('options', '-c lock_timeout=200');
    const { store, schema } = await openStore(withTimeout.toString());
    const admin = new pg.Client({ connectionString: url });
    clients.push(admin);
    await admin.connect();
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".records IN ACCESS EXCLUSIVE MODE`); // a migration, say
    const err = await insertError(store, { text: 'waited' });
    expect(err.message).toMatch(/lock timeout/);
    expect(err.message).toMatch(NOTHING_STORED);
    await admin.query('COMMIT');
    await store.insert({ text: 'waited' }); // as the error says
    expect((await store.stats()).records).toBe(1);
  });
});
