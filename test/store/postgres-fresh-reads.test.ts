// A read on a pooled connection the server has already ended (a restart, a failover,
// pg_terminate_backend; its end still unread in the socket) is read once more on a connection
// opened since. Seen under load in session 13: postgres-memory-store.test.ts "every connection
// dropped mid-load" failed in its final get with 57P01, the pool having handed out a
// connection whose termination it had not read yet. Here a proxy holds what the server sends
// on the open connections (its FATAL and its close) until the client uses one: the pool hands
// out the ended connection every time, not by timing. Writes are not retried here.
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { connectionEnded } from '../../src/store/postgres/fresh-reads.js';
import { dropConnections, freshSchema, testDatabase } from '../helpers/postgres.js';
import { pgProxy, type PgProxy } from '../helpers/pg-proxy.js';
import { tempDir } from '../helpers/temp.js';

const stores: PostgresMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

interface Setup {
  store: PostgresMemoryStore;
  proxy: PgProxy;
  /** The warnings the store logged. */
  warned: { fields: Record<string, unknown>; msg: string }[];
  /** Ends the store's `n` pooled connections on the server; the client has not noticed when this resolves. */
  endConnectionsUnnoticed(n?: number): Promise<void>;
}

/** A store reached through a proxy, with one record 'r1' (text 'alpha beta', embedding [1, 0]) and one pooled connection. */
async function storeBehindProxy(): Promise<Setup> {
  const { url, name } = await testDatabase();
  const proxy = await pgProxy(url);
  const warned: Setup['warned'] = [];
  const logger: Logger = { ...silentLogger, warn: (fields, msg) => void warned.push({ fields: fields as Record<string, unknown>, msg }) };
  const store = await PostgresMemoryStore.open({ connectionString: proxy.url, spillDir: join(tempDir(), 'spill'), schema: freshSchema(), logger });
  stores.push(store);
  await store.insert({ id: 'r1', text: 'alpha beta', embedding: [1, 0] });
  const endConnectionsUnnoticed = async (n = 1) => {
    const held = proxy.holdUntilServerCloses();
    expect(await dropConnections(name, proxy.serverSidePorts())).toBe(n);
    expect(await held).toBe(n); // the server sent its FATAL and closed: all of it held by the proxy
  };
  return { store, proxy, warned, endConnectionsUnnoticed };
}

const reads: [string, (s: PostgresMemoryStore) => Promise<unknown>, unknown][] = [
  ['get', (s) => s.get('r1').then((r) => r?.text), 'alpha beta'],
  ['recall', (s) => s.recall({ cue: 'alpha', sessionId: 's' }).then((hits) => hits.map((h) => h.id)), ['r1']],
  ['recall', (s) => s.recall({ cue: 'q', sessionId: 's', embedding: [1, 0.1] }).then((hits) => hits.map((h) => h.id)), ['r1']],
  ['stats', (s) => s.stats().then((st) => st.records), 1],
  ['historyCounts', (s) => s.historyCounts(), [{ id: 'r1', entries: 0 }]],
];

describe('PostgresMemoryStore reads on a connection the server has ended', () => {
  it.each(reads)('%s is read once more on a new connection, and answers', async (call, read, answer) => {
    const { store, proxy, warned, endConnectionsUnnoticed } = await storeBehindProxy();
    await endConnectionsUnnoticed();
    expect(await read(store)).toEqual(answer);
    expect(proxy.deliveredToUse).toBe(1); // the read was given the ended connection, and met its end
    expect(warned).toEqual([
      { fields: expect.objectContaining({ call, err: expect.objectContaining({ code: '57P01' }) }), msg: expect.stringContaining('reading once more on a new connection') },
    ]);
  });

  it("a recall's provenance write after the read once more is stored once", async () => {
    const { store, endConnectionsUnnoticed } = await storeBehindProxy();
    await endConnectionsUnnoticed();
    expect(await store.recall({ cue: 'alpha', sessionId: 's' })).toHaveLength(1);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['alpha']);
  });

  it('the read once more is on a connection opened after the failure, not on another idle one that was ended with it', async () => {
    const { store, proxy, endConnectionsUnnoticed } = await storeBehindProxy();
    await Promise.all([store.get('r1'), store.get('r1')]); // two connections, both idle now
    await endConnectionsUnnoticed(2);
    const before = proxy.accepted;
    expect((await store.get('r1'))!.text).toBe('alpha beta');
    expect(proxy.accepted - before).toBe(1);
  });

  it('once only: when the new connection fails too, the read rejects with StoreUnavailableError naming the call', async () => {
    const { store, proxy, endConnectionsUnnoticed } = await storeBehindProxy();
    await endConnectionsUnnoticed();
    proxy.refuseNew(true);
    const before = proxy.accepted;
    const err = await store.get('r1').then(() => null, (e: unknown) => e as StoreUnavailableError);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err!.code).toBe('PROVQ_STORE_UNAVAILABLE');
    expect(err!.message).toMatch(/^get failed on the Postgres store at postgres:\/\/postgres:\*\*\*@/);
    expect(proxy.accepted - before).toBe(1); // one new connection tried, not none and not more
    proxy.refuseNew(false);
    expect((await store.get('r1'))!.text).toBe('alpha beta');
  });

  it('a write on the ended connection is not sent again by the store: insert rejects, not confirmed', async () => {
    const { store, proxy, warned, endConnectionsUnnoticed } = await storeBehindProxy();
    await endConnectionsUnnoticed();
    const before = proxy.accepted;
    await expect(store.insert({ id: 'r2', text: 'x' })).rejects.toThrow(StoreUnavailableError);
    expect(proxy.accepted - before).toBe(0);
    expect(warned).toEqual([]);
    expect(await store.get('r2')).toBeUndefined();
  });
});

describe('connectionEnded', () => {
  function serverError(code: string, severity = 'FATAL'): pg.DatabaseError {
    const e = new pg.DatabaseError('from the server', 0, 'error');
    e.code = code;
    e.severity = severity;
    return e;
  }
  function socketError(code: string): Error {
    return Object.assign(new Error(`read ${code}`), { code });
  }

  it.each([
    ['57P01 admin shutdown', serverError('57P01')],
    ['57P02 crash shutdown', serverError('57P02')],
    ['57P03 cannot connect now', serverError('57P03')],
    ['08006 connection failure', serverError('08006')],
    ['08P01 protocol violation', serverError('08P01')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['EPIPE', socketError('EPIPE')],
    ['pg: terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['pg: a client broken by an earlier connection error', new Error('Client has encountered a connection error and is not queryable')],
  ])('true for %s', (_what, err) => {
    expect(connectionEnded(err)).toBe(true);
  });

  it.each([
    ['a statement error (42P01)', serverError('42P01', 'ERROR')],
    ['a statement cancelled (57014)', serverError('57014', 'ERROR')],
    ['the query timeout', new Error('Query read timeout')],
    ['a connection this process ended (close)', new Error('Connection terminated')],
    ['not an Error', { code: '57P01', message: 'Connection terminated unexpectedly' }],
  ])('false for %s', (_what, err) => {
    expect(connectionEnded(err)).toBe(false);
  });
});
