// A store's appendProvenanceBatch and appendProvenanceBatchSync, called directly (or by
// recall's sync fallback), write what they checked: each field of an entry is read once.
// Before (breaker15) the caller's entries were checked, then written as they were: a getter
// answering 1 to the check and something else to the write stored NaN, undefined (also for
// a function) or a nested object — an entry the check refuses, read back by get().
// Checked: with validate.ts's checkPairs back to checking without copying, this fails (NaN
// and undefined read back); restored, it passes.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { ProvenanceEntry, ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const ts = '2026-12-01T12:00:00.000Z';
const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** An entry whose `x` reads 1 the first time and `later` after that. */
function shifty(later: unknown, entryId?: string): ProvenanceEntry {
  let reads = 0;
  const e: Record<string, unknown> = { ts, cue: 'shifty', sessionId: 's' };
  if (entryId) e.entryId = entryId;
  Object.defineProperty(e, 'x', { enumerable: true, get: () => (reads++ === 0 ? 1 : later) });
  return e as ProvenanceEntry;
}

describe('a sink call made directly on the store', () => {
  it('stores each entry as it was checked, also when a getter answers differently later (with and without its entryId, async and sync)', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    stores.push(store);
    const id = await store.insert({ id: 'r1', text: 'tea' });
    let n = 0;
    const laters = [Number.NaN, undefined, () => 1, { deep: 1 }, 'é'];
    for (const later of laters) {
      for (const withId of [false, true]) {
        const pairs = (): ProvenancePair[] => [[id, shifty(later, withId ? `1796139000000-abc1234-${String(n++).padStart(10, '0')}` : undefined)]];
        await store.appendProvenanceBatch(pairs());
        store.appendProvenanceBatchSync(pairs());
      }
    }
    const back = (await store.get(id))!.provenance;
    expect(back).toHaveLength(laters.length * 4);
    for (const e of back) expect((e as Record<string, unknown>).x, JSON.stringify(e)).toBe(1);
  });
});
