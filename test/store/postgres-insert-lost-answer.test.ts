// PostgresMemoryStore.insert whose answer is lost (the connection cut after the server
// committed: a network failure, a failover). Without an id of the caller's, the store picks
// a new UUID on each call, so the call again that the error used to advise ("retrying is
// safe: a pair is never stored twice") stored the record twice (found in pg14's review,
// 2026-12-01). Now the message says so; with the caller's id a call again replaces it.
// Checked: with the old message back ("retrying is safe" for every insert), the first test
// finds 2 records and the second's message does not say the same id makes it safe.
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { storeBehindProxy } from '../helpers/postgres-behind-proxy.js';

/** A piece of the insert statement's text, in the Parse message the store sends for it. */
const INSERT = 'DO UPDATE SET text = EXCLUDED.text';

/** insert(), and insert() again when its error calls that safe; the error, if any. */
async function insertAsAdvised(store: PostgresMemoryStore, rec: { id?: string; text: string }): Promise<Error | null> {
  try {
    await store.insert(rec);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreUnavailableError);
    if (/\bsafe\b/.test((err as Error).message) && !/make a retry safe/.test((err as Error).message)) await store.insert(rec);
    return err as Error;
  }
}

describe('PostgresMemoryStore.insert when the answer to it is lost', () => {
  it('without an id: the error does not call a retry safe, and the record is there once', async () => {
    const { store, proxy } = await storeBehindProxy();
    proxy.loseAnswersTo(INSERT);
    const err = await insertAsAdvised(store, { text: 'lost answer' });
    expect(proxy.lost).toBe(1); // the commit happened; the caller did not hear of it
    expect((await store.stats()).records).toBe(1);
    expect(err?.message).toContain('may store a second copy');
  });

  it('with an id: a call again is called safe, and replaces the record', async () => {
    const { store, proxy } = await storeBehindProxy();
    proxy.loseAnswersTo(INSERT);
    const err = await insertAsAdvised(store, { id: 'r1', text: 'lost answer' });
    expect(proxy.lost).toBe(1);
    expect(err?.message).toContain('with the same id is safe');
    expect((await store.stats()).records).toBe(1);
    expect((await store.get('r1'))?.text).toBe('lost answer');
  });
});
