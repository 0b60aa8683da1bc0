// Databases for tests on the run's one PostgreSQL (test/setup/postgres.ts): each test file
// gets a database of its own (dropped after the file), each store in it a fresh schema.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { terminateConnections } from '../../faults/postgres-server.js';

const made: string[] = [];
afterAll(async () => {
  fileDatabase = undefined;
  if (made.length === 0) return;
  await admin(async (c) => {
    for (const db of made.splice(0)) await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(db)} WITH (FORCE)`);
  });
});

export function adminUrl(): string {
  return inject('postgresUrl');
}

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** A new, empty database; returns its URL and name. */
export async function freshDatabase(): Promise<{ url: string; name: string }> {
  const name = `provq_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  made.push(name);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

let fileDatabase: Promise<{ url: string; name: string }> | undefined;
let schemas = 0;

/** This test file's database (made on first use). */
export function testDatabase(): Promise<{ url: string; name: string }> {
  fileDatabase ??= freshDatabase();
  return fileDatabase;
}

/** A schema name no store in this file has used yet: a new, empty store. */
export function freshSchema(): string {
  return `s${++schemas}_${randomBytes(3).toString('hex')}`;
}

/**
 * Ends every connection to the database: what a failover or a server restart does to clients.
 * `clientPorts`: only the connections from those ports (a proxy's, see `PgProxy.serverSidePorts`),
 * not a backend of a store closed a moment ago that has not exited yet.
 */
export function dropConnections(name: string, clientPorts?: number[]): Promise<number> {
  return terminateConnections(adminUrl(), name, clientPorts);
}

/** Runs one query on the database at `url` (to look at the tables as they are). */
export async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
