// A polluted Object.prototype (an enumerable key some code assigned to it) is not part of
// any entry: an entry is its own keys, as JSON.stringify (the journal, spill files) and
// msgpackr (LMDB) see it, whichever path it takes. Before (breaker15), enqueue's deep copy
// listed keys with for…in and stored the inherited key as the entry's own field, where
// appendProvenanceBatch(Sync) stored the entry without it; and an inherited function made
// every call refuse every entry ("a function is not JSON data").
// Checked: with json-data.ts's own-key test removed from copyObject, the first test fails
// (the queued entry reads back with `polluted`); removed from walk, both fail (the calls
// refuse the entries for the inherited function). Restored, they pass. The third: with
// validate.ts's parseOptions given `value ?? {}` again (not ownData), flush() and close()
// refuse ("Unrecognized key: polluted"); with isPlainValidSpillLine's own-key test and the
// line judge's ownData both removed, the valid spill file is quarantined whole.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { SPILL_DIR_NAME } from '../../src/store/store-layout.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const ts = '2026-12-01T12:00:00.000Z';
const proto = Object.prototype as Record<string, unknown>;
const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  delete proto.polluted;
  delete proto.pollutedFn;
  for (const s of stores.splice(0)) await s.close();
});

/** Runs `f` with two enumerable keys on Object.prototype, a string and a function; always cleans them up. */
async function polluted<T>(f: () => Promise<T> | T): Promise<T> {
  proto.polluted = 'P';
  proto.pollutedFn = () => 1;
  try {
    return await f();
  } finally {
    delete proto.polluted;
    delete proto.pollutedFn;
  }
}

describe('a polluted Object.prototype', () => {
  it('adds no field to an entry, and refuses none, on any path (enqueue in both modes, appendProvenanceBatch, appendProvenanceBatchSync)', async () => {
    for (const durability of ['journal', 'memory'] as const) {
      const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
      stores.push(store);
      const id = await store.insert({ id: 'r1', text: 'tea' });
      const queue = store.enableProvenanceQueue({ exitHook: false, durability });
      const nested = { ts, cue: 'nested', sessionId: 's', meta: { a: 1, list: [{ b: 2 }] } };
      await polluted(async () => {
        queue.enqueue([[id, { ts, cue: 'queued', sessionId: 's' }], [id, nested]]);
        await store.appendProvenanceBatch([[id, { ts, cue: 'async', sessionId: 's' }]]);
        store.appendProvenanceBatchSync([[id, { ts, cue: 'sync', sessionId: 's' }]]);
      });
      expect(await queue.flush()).toBe(true);
      const back = (await store.get(id))!.provenance;
      const own = back.map(({ entryId: _, ...e }) => e);
      expect(own, durability).toEqual(
        expect.arrayContaining([{ ts, cue: 'queued', sessionId: 's' }, nested, { ts, cue: 'async', sessionId: 's' }, { ts, cue: 'sync', sessionId: 's' }]),
      );
      expect(own).toHaveLength(4);
      expect(JSON.stringify(back)).not.toMatch(/polluted/);
    }
  });

  it('is not named in a refusal: an entry is judged by its own fields', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    stores.push(store);
    const id = await store.insert({ id: 'r1', text: 'tea' });
    const queue = store.enableProvenanceQueue({ exitHook: false });
    const refusal = await polluted(() => {
      try {
        queue.enqueue([[id, { ts, cue: 'c', sessionId: 's', bad: undefined }]]);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    });
    expect(refusal).toMatch(/^invalid provenance pair: pairs\[0\]\.entry\.bad: undefined is not JSON data/);
    expect(await polluted(() => store.appendProvenanceBatch([[id, { ts, cue: 'fine', sessionId: 's' }]]))).toEqual({ duplicates: 0 });
  });

  it('sets no valid spill file aside, and refuses no options object (flush(), close() with none)', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    stores.push(store);
    const id = await store.insert({ id: 'r1', text: 'tea' });
    const queue = store.enableProvenanceQueue({ exitHook: false, idlePollMs: 20 });
    const dir = join(path, SPILL_DIR_NAME);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const line = JSON.stringify({ recordId: id, entryId: '1796139000000-abc1234-0000000001', entry: { ts, cue: 'from a file', sessionId: 's' } });
    await polluted(async () => {
      writeFileSync(join(dir, '1796139000000-000001-1.jsonl'), `${line}\n`, { mode: 0o600 });
      expect(await until(() => queue.stats().quarantinedFiles > 0 || queue.stats().respooledPairs > 0, 30_000)).toBe(true);
      expect(await queue.flush()).toBe(true);
      await store.close();
    });
    expect(queue.stats()).toMatchObject({ quarantinedFiles: 0, respooledPairs: 1 });
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
    const again = await LmdbMemoryStore.open({ path, logger: silentLogger });
    stores.push(again);
    expect((await again.get(id))!.provenance).toEqual([{ ts, cue: 'from a file', sessionId: 's', entryId: '1796139000000-abc1234-0000000001' }]);
  });
});
