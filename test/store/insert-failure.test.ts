// A record the store cannot commit (its disk full: a real, small tmpfs) is a typed error
// naming the store, never lmdb's raw one — which the commit guard takes for a failed batch
// and swallows, so an app that forgot to await insert() would never hear of the failure.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLmdbCommitFailure } from '../../src/store/lmdb-commit-guard.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair } from '../helpers/sinks.js';
import { smallFs, type SmallFs } from '../helpers/small-fs.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store on a real 8 MiB tmpfs, unmounted and closed after the test. */
async function storeOnSmallFs(): Promise<{ fs: SmallFs; path: string; store: LmdbMemoryStore }> {
  const fs = smallFs(8);
  cleanups.push(() => fs.unmount());
  const path = join(fs.dir, 'store');
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  cleanups.push(() => store.close().catch(() => {}));
  return { fs, path, store };
}

/** What a promise rejected with (null when it resolved). */
const rejectionOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe('insert on a full disk', () => {
  // Checked: with insert's catch removed, the rejection is lmdb's "Commit failed" error (no
  // code; isLmdbCommitFailure true, so the guard would swallow it unawaited) and this fails.
  it('rejects with StoreUnavailableError naming the store, which the commit guard does not swallow; the insert lands once space is back', async () => {
    const { fs, path, store } = await storeOnSmallFs();
    fs.fill();
    const big = 'x'.repeat(2 * 1024 * 1024); // more than any free page left in the map's file
    const err = await rejectionOf(store.insert({ id: 'r1', text: big }));
    expect(err).toMatchObject({ code: 'PROVQ_STORE_UNAVAILABLE' });
    expect((err as Error).message).toContain(path);
    expect(isLmdbCommitFailure(err)).toBe(false);
    fs.free();
    expect(await store.insert({ id: 'r1', text: 'now it fits' })).toBe('r1');
    expect((await store.get('r1'))?.text).toBe('now it fits');
  });
});

describe('appendProvenanceBatch on a full disk', () => {
  // Checked: without the store's wrapping (uncommitted()), the async call rejects with
  // lmdb's raw "Commit failed" error (no code; the guard would swallow it unawaited) and
  // the first expectation fails; the sync call threw lmdb's raw MDB error likewise.
  // Checked (session 9, store mutation run survivor): with putPairs' catch around the wait
  // for the commits emptied, the call still rejected — with a TypeError of its own (the
  // results it never got read as undefined) as the cause instead of lmdb's commit failure,
  // so the operator was told nothing about the disk — and the cause expectation fails.
  it('rejects (and the sync call throws) StoreUnavailableError naming the store and carrying LMDB’s failure; the same pairs land once space is back, once', async () => {
    const { fs, path, store } = await storeOnSmallFs();
    await store.insert({ id: 'r1', text: 'a memory' });
    fs.fill();
    const pad = 'p'.repeat(64 * 1024);
    const pairs = Array.from({ length: 40 }, (_, i) => pair('r1', `c${i}`, { pad }));
    const err = await rejectionOf(store.appendProvenanceBatch(pairs));
    expect(err).toMatchObject({ code: 'PROVQ_STORE_UNAVAILABLE' });
    expect((err as Error).message).toContain(path);
    expect(isLmdbCommitFailure(err)).toBe(false);
    expect(isLmdbCommitFailure((err as Error).cause)).toBe(true);
    let syncErr: unknown = null;
    try {
      store.appendProvenanceBatchSync(pairs);
    } catch (e) {
      syncErr = e;
    }
    expect(syncErr).toMatchObject({ code: 'PROVQ_STORE_UNAVAILABLE' });
    fs.free();
    await store.appendProvenanceBatch(pairs);
    expect((await store.get('r1'))?.provenance.map((e) => e.cue)).toEqual(pairs.map(([, e]) => e.cue));
  });
});
