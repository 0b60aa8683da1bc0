// What the LMDB store keeps for each provenance entry (src/store/entry-value.ts writes the
// common entries' bytes itself): every entry reads back as lmdb's own encoding gives it back,
// and its stored bytes are the ones lmdb's own encoder (msgpackr) writes, so a store written
// by this version reads the same in an older one. Real LMDB, entries of every shape.
// Checked: with 64–127 written as one-byte integers (the decoder takes 0x40–0x7f for record
// references) the first test fails; with negative integers written as float64 (they read
// back the same) the second fails.
import fc from 'fast-check';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { ProvenanceEntry, ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { STORE_FILE } from '../../src/store/store-layout.js';
import { tempDir } from '../helpers/temp.js';

/** lmdb's own encoding of a value, as a store without shared structures has it. */
const lmdbEncoding = new Packr({ copyBuffers: true });

const edgeIntegers = [0, 1, 31, 32, 63, 64, 65, 100, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
const number = fc.oneof(
  fc.constantFrom(...edgeIntegers, ...edgeIntegers.map((n) => -n - 1), -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1),
  fc.integer({ min: -(2 ** 31) - 10, max: 2 ** 32 + 10 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 25, maxLength: 300 }), // around fixstr (31) and str8 (255)
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '"', '\\', '\u007f', 'é', '😀', 'a\u0001b'),
);
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const value = fc.oneof({ weight: 6, arbitrary: leaf }, { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), leaf, { maxKeys: 3 }) });
const key = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('rank', 'score', 'tag', 'n', 'kind', 'x') }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) }, { weight: 1, arbitrary: fc.constantFrom('é', 'k'.repeat(40)) });
const entry: fc.Arbitrary<ProvenanceEntry> = fc
  .record({
    cue: text,
    sessionId: fc.oneof(fc.constantFrom('s1', 's2'), fc.string({ minLength: 1, maxLength: 30 })),
    extras: fc.dictionary(key, value, { maxKeys: 18 }), // past 15 fields msgpackr writes it
  })
  // A key named __proto__ is refused (test/api/entry-faults.test.ts), never stored.
  .filter((e) => !['ts', 'cue', 'sessionId', 'entryId', '__proto__'].some((k) => Object.hasOwn(e.extras, k)))
  .map((e) => ({ ts: '2026-12-01T12:00:00.000Z', cue: e.cue, sessionId: e.sessionId, ...e.extras }));

let store: LmdbMemoryStore;
let path: string;
let recordId: string;
/** Every entry appended, in order, with the id the store gave it. */
const written: ProvenanceEntry[] = [];

beforeAll(async () => {
  path = tempDir();
  store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  recordId = await store.insert({ text: 'one record, many entries' });
});
afterAll(async () => {
  await store?.close();
});

describe('the LMDB store keeps each provenance entry', () => {
  it('as lmdb itself would give it back, whatever its fields, async and sync, in batches of mixed shapes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 30 }), fc.boolean(), async (entries, sync) => {
        const pairs: ProvenancePair[] = entries.map((e) => [recordId, e]);
        if (sync) store.appendProvenanceBatchSync(pairs);
        else await store.appendProvenanceBatch(pairs);
        const history = (await store.get(recordId))!.provenance;
        const mine = history.slice(history.length - entries.length);
        expect(mine).toHaveLength(entries.length);
        for (let i = 0; i < entries.length; i++) {
          const { entryId, ...fields } = mine[i]!;
          expect(fields).toEqual(lmdbEncoding.unpack(lmdbEncoding.pack(entries[i])));
          expect(Object.keys(fields)).toEqual(Object.keys(entries[i]!)); // the order of its fields too
          expect(typeof entryId).toBe('string');
        }
        written.push(...entries);
      }),
      { numRuns: 150 },
    );
    expect(written.length).toBeGreaterThan(150);
  });

  it("as the bytes lmdb's own encoder writes, so an older version reads them the same", async () => {
    expect(written.length).toBeGreaterThan(150); // the entries of the test above
    await store.close();
    const env = open({ path: join(path, STORE_FILE), readOnly: true });
    try {
      const provenance = env.openDB<unknown, [string, string]>({ name: 'provenance' });
      let checked = 0;
      for (const { key, value } of provenance.getRange({ start: [recordId], end: [recordId, '\uffff'] })) {
        const bytes = provenance.getBinary(key)!;
        expect(Buffer.from(bytes).equals(Buffer.from(lmdbEncoding.pack(value))), `the bytes of ${JSON.stringify(value)}`).toBe(true);
        checked++;
      }
      expect(checked).toBe(written.length);
    } finally {
      await env.close();
    }
    store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  });
});
