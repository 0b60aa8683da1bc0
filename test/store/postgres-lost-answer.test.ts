// A direct appendProvenanceBatch on Postgres whose commit's answer is lost (the connection
// cut after the server committed: a network failure, a failover) must not end with its
// pairs stored twice. Found 2026-11-30 (breakit9): the call rejected "not confirmed; retrying
// is safe: a pair is never stored twice", and the retry the message advised stored the pair
// again under a new entry id: 1 pair, 2 entries. Ids the store assigns exist only in the
// call, so the store now retries such a write itself with the same ids (the second attempt
// is a no-op if the first committed), and when it gives up it no longer calls a retry safe.
// Checked: with writeUntilAnswered making one attempt (the code before), the first test finds
// 2 entries and the second finds 'retrying is safe' in the message (3 of 3 runs each).
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { pair } from '../helpers/sinks.js';
import { storeBehindProxy as openBehindProxy } from '../helpers/postgres-behind-proxy.js';

/** A store reached through a proxy that can lose the answer to its append statement, with record r1. */
async function storeBehindProxy() {
  const opened = await openBehindProxy();
  await opened.store.insert({ id: 'r1', text: 'x' });
  return opened;
}

/** The append statement's name, in every Parse and Bind message the store sends for it. */
const APPEND = 'provq-append-';

describe('PostgresMemoryStore.appendProvenanceBatch when the answer to its commit is lost', () => {
  it('stores each pair once: the call, or the call again its error advises, never adds a second entry', async () => {
    const { store, proxy } = await storeBehindProxy();
    const pairs = [pair('r1', 'a'), pair('r1', 'b')];
    proxy.loseAnswersTo(APPEND);
    try {
      await store.appendProvenanceBatch(pairs);
    } catch (err) {
      expect(err).toBeInstanceOf(StoreUnavailableError);
      if (/retrying is safe/.test((err as Error).message)) await store.appendProvenanceBatch(pairs); // as it advises
    }
    expect(proxy.lost).toBe(1); // the answer was lost: the commit happened, the caller did not hear of it
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b']); // before: a, b, a, b
  });

  it('answered never: rejects without calling a retry safe, and the pairs committed once are there once', async () => {
    const { store, proxy } = await storeBehindProxy();
    proxy.loseAnswersTo(APPEND, Infinity);
    const err = await store.appendProvenanceBatch([pair('r1', 'a')]).then(() => null, (e: unknown) => e as Error);
    proxy.loseAnswersTo(APPEND, 0);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err!.message).not.toContain('retrying is safe');
    expect(err!.message).toContain('may store them twice');
    expect(proxy.lost).toBeGreaterThan(1); // tried again with the same ids
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a']);
  });
});
