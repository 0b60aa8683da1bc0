// open() of the Postgres store reads this host's high-water mark after creating the tables,
// on the connection that did it (idle in the pool by then). When the server has ended that
// connection meanwhile (a restart, a failover), the read is read once more on a new
// connection, as every other read is since session 14 (fresh-reads.ts), instead of failing
// the open with the server's 57P01. The proxy stops the mark's read until the server has
// ended the connection and the proxy holds its FATAL: the read meets it every time, not by
// timing.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreOpenError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { formatEntryId } from '../../src/entry-id.js';
import { dropConnections, freshSchema, testDatabase } from '../helpers/postgres.js';
import { pgProxy, type PgProxy } from '../helpers/pg-proxy.js';
import { tempDir } from '../helpers/temp.js';

/** A piece of the mark's read, in the Parse message the store sends for it. */
const MARK_READ = 'high_water_ms::text AS ms';

const stores: PostgresMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

interface Opening {
  proxy: PgProxy;
  warned: { fields: Record<string, unknown>; msg: string }[];
  /** Settles once the server ended the store's one connection and the proxy held its end (rejects if it did not). */
  ended: () => Promise<void>;
  open(): Promise<PostgresMemoryStore>;
}

/**
 * A store to open through a proxy whose connection the server ends just before the mark is
 * read (`refuseNew`: and from then on, the proxy refuses new connections).
 */
async function openingWithEndedConnection({ spillDir = join(tempDir(), 'spill'), schema = freshSchema(), refuseNew = false } = {}): Promise<Opening> {
  const { url, name } = await testDatabase();
  const proxy = await pgProxy(url);
  const warned: Opening['warned'] = [];
  const logger: Logger = { ...silentLogger, warn: (fields, msg) => void warned.push({ fields: fields as Record<string, unknown>, msg }) };
  let ending: Promise<void> = Promise.reject(new Error('the mark was never read'));
  ending.catch(() => undefined);
  proxy.beforeMessage(MARK_READ, () => {
    ending = (async () => {
      const held = proxy.holdUntilServerCloses();
      expect(await dropConnections(name, proxy.serverSidePorts())).toBe(1); // the tables' connection, idle in the pool
      expect(await held).toBe(1); // its FATAL and close, held until the read uses it
      proxy.refuseNew(refuseNew);
    })();
    return ending;
  });
  return {
    proxy,
    warned,
    ended: () => ending,
    open: async () => {
      const store = await PostgresMemoryStore.open({ connectionString: proxy.url, spillDir, schema, logger });
      stores.push(store);
      return store;
    },
  };
}

describe('PostgresMemoryStore.open when the server ended its connection before the mark was read', () => {
  it('reads the mark once more on a new connection, opens, and says so in a warning', async () => {
    const o = await openingWithEndedConnection();
    const store = await o.open();
    await o.ended();
    expect(o.proxy.deliveredToUse).toBe(1); // the read was given the ended connection, and met its end
    expect(o.warned).toEqual([
      { fields: expect.objectContaining({ call: 'open', err: expect.objectContaining({ code: '57P01' }) }), msg: expect.stringContaining('reading once more on a new connection') },
    ]);
    await store.insert({ id: 'r1', text: 'x' });
    await store.appendProvenanceBatch([['r1', { ts: new Date().toISOString(), cue: 'c', sessionId: 's' }]]);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['c']);
  });

  it('the mark read once more is the stored one: ids start above it', async () => {
    const { url } = await testDatabase();
    const spillDir = join(tempDir(), 'spill');
    const schema = freshSchema();
    // A first run of this host wrote ids far ahead (a clock that has since stepped back).
    const ahead = Date.now() + 3_600_000;
    const first = await PostgresMemoryStore.open({ connectionString: url, spillDir, schema, logger: silentLogger });
    await first.insert({ id: 'r1', text: 'x' });
    await first.appendProvenanceBatch([['r1', { ts: new Date().toISOString(), cue: 'first', sessionId: 's', entryId: formatEntryId(ahead, 0) }]]);
    await first.close();
    const o = await openingWithEndedConnection({ spillDir, schema });
    const store = await o.open();
    await o.ended();
    expect(o.proxy.deliveredToUse).toBe(1);
    await store.appendProvenanceBatch([['r1', { ts: new Date().toISOString(), cue: 'second', sessionId: 's' }]]);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['first', 'second']);
  });

  it('once only: when the new connection fails too, open rejects with StoreOpenError naming the store', async () => {
    const o = await openingWithEndedConnection({ refuseNew: true });
    const err = await o.open().then(() => null, (e: unknown) => e as StoreOpenError);
    await o.ended();
    expect(err).toBeInstanceOf(StoreOpenError);
    expect(err!.code).toBe('PROVQ_STORE_OPEN');
    expect(err!.message).toMatch(/^cannot open the Postgres store at postgres:\/\/postgres:\*\*\*@.*check that the server is up/);
    expect(o.proxy.accepted).toBe(2); // the tables' connection, and one new one for the read: not more
  });
});
