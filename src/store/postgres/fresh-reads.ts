// A read that meets a connection the server has ended (a restart, a failover,
// pg_terminate_backend) is read once more on a connection opened after that failure. The
// pool hands out an idle connection whose end is still unread in its socket, and the read
// fails with the server's FATAL (57P01) or a reset, though the server is up. Reads only: a
// write whose answer was lost may have committed, and its retries have their own rules
// (unconfirmed-write.ts).
import pg from 'pg';

/** What a read runs on: the pool, or for its second try a connection opened after the failure. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** The server ended the connection: admin shutdown (restart, pg_terminate_backend), crash shutdown, starting up. */
const ENDED_BY_SERVER = new Set(['57P01', '57P02', '57P03']);
/** The socket under the connection failed. */
const ENDED_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** pg's words for a connection that ended under a statement, or a client an earlier such end broke. */
const ENDED_MESSAGES = new Set(['Connection terminated unexpectedly', 'Client has encountered a connection error and is not queryable']);

/** True when `err` says the connection failed, not the statement: the same read on another connection may work. */
export function connectionEnded(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Class 08 is SQLSTATE's "connection exception".
    if (ENDED_BY_SERVER.has(code) || code.startsWith('08') || ENDED_SOCKET.has(code)) return true;
  }
  return ENDED_MESSAGES.has(err.message);
}

export class FreshReads {
  /** Connections the pool has opened so far; each is numbered in the order it was opened. */
  private opened = 0;
  private readonly openedAs = new WeakMap<pg.Client, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly onRetry: (what: string, err: unknown) => void,
  ) {
    pool.on('connect', (c) => this.openedAs.set(c, ++this.opened));
  }

  /** Runs `read` on the pool; when its connection had ended, once more on a connection opened since. A second failure is thrown. */
  async read<T>(what: string, read: (db: Queryable) => Promise<T>): Promise<T> {
    try {
      return await read(this.pool);
    } catch (err) {
      if (!connectionEnded(err)) throw err;
      this.onRetry(what, err);
    }
    const client = await this.connectionOpenedAfter(this.opened);
    try {
      const answer = await read(client);
      client.release();
      return answer;
    } catch (err) {
      client.release(true); // the pool drops it, as pool.query does after a failure
      throw err;
    }
  }

  /**
   * A connection of the pool opened after the `n`th. The idle ones opened before it are
   * dropped on the way: a restart or failover ended them all, and their ends may be unread yet.
   */
  private async connectionOpenedAfter(n: number): Promise<pg.PoolClient> {
    for (;;) {
      const c = await this.pool.connect();
      if ((this.openedAs.get(c) ?? 0) > n) return c;
      c.release(true);
    }
  }
}
