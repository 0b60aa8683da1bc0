// What a recall hands back: each hit's record carries its provenance history, read from the
// store when the caller asks for it (not copied into every hit up front).
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('a recall hit', () => {
  // Checked (issue 14, a "no coverage" mutant of the whole-core run): with the lazy read's
  // `cached ??= this.readProvenance(rec.id)` made `cached &&= …` (never read), every hit's
  // record.provenance is undefined and this fails; restored, it passes.
  it("carries its record's provenance, the same history get() returns, and the same on a second read", async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    stores.push(store);
    const id = await store.insert({ text: 'my cat likes tuna' });
    await store.insert({ text: 'the weather in Lisbon' });
    await store.recall({ cue: 'cat', sessionId: 's1' }); // queue off: durable once recall resolves
    const [hit] = await store.recall({ cue: 'cat tuna', sessionId: 's2', k: 1 });
    expect(hit!.id).toBe(id);
    const history = hit!.record.provenance;
    expect(history.map((e) => [e.cue, e.sessionId, e.rank])).toEqual([
      ['cat', 's1', 0],
      ['cat tuna', 's2', 0],
    ]);
    expect(history).toEqual((await store.get(id))!.provenance);
    expect(hit!.record.provenance).toEqual(history);
  });
});
