// A record the store cannot commit (its disk full: a real, small tmpfs) is a typed error
// naming the store, never lmdb's raw one — which the commit guard takes for a failed batch
// and swallows, so an app that forgot to await insert() would never hear of the failure.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLmdbCommitFailure } from '../../src/store/lmdb-commit-guard.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { smallFs } from '../helpers/small-fs.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('insert on a full disk', () => {
  // Checked: with insert's catch removed, the rejection is lmdb's "Commit failed" error (no
  // code; isLmdbCommitFailure true, so the guard would swallow it unawaited) and this fails.
  it('rejects with StoreUnavailableError naming the store, which the commit guard does not swallow; the insert lands once space is back', async () => {
    const fs = smallFs(8);
    cleanups.push(() => fs.unmount());
    const path = join(fs.dir, 'store');
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => store.close().catch(() => {}));
    fs.fill();
    const big = 'x'.repeat(2 * 1024 * 1024); // more than any free page left in the map's file
    const err = await store.insert({ id: 'r1', text: big }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'PROVQ_STORE_UNAVAILABLE' });
    expect((err as Error).message).toContain(path);
    expect(isLmdbCommitFailure(err)).toBe(false);
    fs.free();
    expect(await store.insert({ id: 'r1', text: 'now it fits' })).toBe('r1');
    expect((await store.get('r1'))?.text).toBe('now it fits');
  });
});
