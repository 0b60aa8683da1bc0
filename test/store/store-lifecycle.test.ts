// A store's lifecycle as a caller writes it: `await using` closes it at the end of the block;
// switching its queue on again with other options says which options are on and which were asked for.
import { afterEach, describe, expect, it } from 'vitest';
import { StoreClosedError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a store', () => {
  // Checked (issue 14, a "no coverage" mutant of the store run): with
  // `[Symbol.asyncDispose]`'s body emptied, the store is still open after the block (get
  // resolves) and this fails; restored, it passes.
  it('is closed at the end of an `await using` block', async () => {
    let escaped: LmdbMemoryStore;
    {
      await using store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
      escaped = store;
      await store.insert({ id: 'r1', text: 'x' });
    }
    await expect(escaped.get('r1')).rejects.toThrow(StoreClosedError);
  });

  // Checked (no-coverage mutants of queue-toggle.ts's describe()): with 'the defaults' made
  // "" or the object case made `typeof v !== 'object'`, the message loses them and this fails.
  it('enabling its queue with other options names the defaults, and an object option as [object]', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    cleanups.push(() => store.close());
    store.enableProvenanceQueue();
    expect(() => store.enableProvenanceQueue({ coalesceMs: 99 })).toThrow(
      'enableProvenanceQueue: a queue is already on with other options (the defaults, asked for { coalesceMs: 99 }); call disableProvenanceQueue() first to change them',
    );
    await store.disableProvenanceQueue();
    store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 5 });
    expect(() => store.enableProvenanceQueue({ logger: { ...silentLogger }, coalesceMs: 5 })).toThrow(
      '({ logger: [object], coalesceMs: 5 }, asked for { logger: [object], coalesceMs: 5 })',
    );
  });
});
