// An entry id's first 13 digits are the wall-clock ms of its enqueue (docs/guarantees.md:
// "sorts by time across processes"): read once from Date.now() and then advanced by the
// monotonic clock. In a file of its own, so the id clock is first read here.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('an entry id', () => {
  // Checked (issue 14, a survivor of the store run): with the id clock's anchor never set
  // (`if (!anchored) { … }` emptied), ids carry the process's uptime in ms (a process started
  // later would sort first) and this fails; restored, it passes.
  it('carries the wall-clock time of its recall, to the second, in its first 13 digits', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    stores.push(store);
    const id = await store.insert({ text: 'my cat likes tuna' });
    const before = Date.now();
    await store.recall({ cue: 'cat', sessionId: 's' });
    const after = Date.now();
    const ms = Number((await store.get(id))!.provenance[0]!.entryId!.slice(0, 13));
    expect(ms).toBeGreaterThanOrEqual(before - 1000);
    expect(ms).toBeLessThanOrEqual(after + 1000);
  });
});
