// The Postgres store's tables, named once and created if missing. Ids are compared byte by
// byte (COLLATE "C"), as LMDB does, so a history read back by entry_id is in enqueue order
// whatever the database's locale.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from './fresh-reads.js';

/** Quoted, schema-qualified table names for one store. */
export interface StoreTables {
  readonly schema: string;
  readonly records: string;
  readonly provenance: string;
  readonly meta: string;
  /** One row per host (spill dir): the newest entry-id time its writes may have used. */
  readonly hostMarks: string;
}

export function tablesOf(schema: string): StoreTables {
  const q = `"${schema}"`; // the schema name is checked by its zod schema: no quote can be in it
  return {
    schema: q,
    records: `${q}.records`,
    provenance: `${q}.provenance`,
    meta: `${q}.store_meta`,
    hostMarks: `${q}.host_marks`,
  };
}

function ddl(t: StoreTables): string {
  return `
    CREATE SCHEMA IF NOT EXISTS ${t.schema};
    CREATE TABLE IF NOT EXISTS ${t.records} (
      id text COLLATE "C" PRIMARY KEY,
      text text NOT NULL,
      embedding float8[],
      tags text[],
      created_at text NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED
    );
    CREATE INDEX IF NOT EXISTS records_tsv ON ${t.records} USING gin (tsv);
    CREATE TABLE IF NOT EXISTS ${t.provenance} (
      record_id text COLLATE "C" NOT NULL,
      entry_id text COLLATE "C" NOT NULL,
      entry json NOT NULL,
      PRIMARY KEY (record_id, entry_id)
    );
    CREATE TABLE IF NOT EXISTS ${t.meta} (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE IF NOT EXISTS ${t.hostMarks} (host text PRIMARY KEY, high_water_ms bigint NOT NULL);`;
}

/**
 * Creates what is missing and returns the store's identity (a uuid kept in the database).
 * Several processes may open one database at once: an advisory lock makes the DDL one at a time.
 */
export async function ensureTables(pool: pg.Pool, t: StoreTables): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`provq:${t.schema}`]);
    await client.query(ddl(t));
    await client.query(`INSERT INTO ${t.meta} (key, value) VALUES ('storeId', $1) ON CONFLICT (key) DO NOTHING`, [randomUUID()]);
    const { rows } = await client.query<{ value: string }>(`SELECT value FROM ${t.meta} WHERE key = 'storeId'`);
    await client.query('COMMIT');
    return rows[0]!.value;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The host's persisted high-water mark (0 for a new host). */
export async function readHostMark(db: Queryable, t: StoreTables, host: string): Promise<number> {
  const { rows } = await db.query<{ ms: string }>(`SELECT high_water_ms::text AS ms FROM ${t.hostMarks} WHERE host = $1`, [host]);
  return rows.length ? Number(rows[0]!.ms) : 0;
}

/** True when the schema holds a store's records table (looked up without creating anything). */
export async function postgresStoreExists(connectionString: string, schema: string): Promise<boolean> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [tablesOf(schema).records]);
    return rows[0]!.found !== null;
  } finally {
    await client.end();
  }
}
