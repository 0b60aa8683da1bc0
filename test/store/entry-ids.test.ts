// Item 6 of issue 9: entry ids are the library's. An input entry may carry one only in the
// library's format; a stored entry is never replaced — writing an id that is stored already
// is a counted no-op, on every write path: the queue (several sink calls in flight), the
// store's async and sync writes (the exit drain's path), and read-back from a spill file.
// Checked against today's code: a made-up id was accepted and sorted anywhere, and every
// "kept, not replaced" case below overwrote the first entry with the second (no duplicate
// counted); with the fix's conditional puts turned back into plain puts they fail again.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { InvalidPairError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { ProvenanceEntry } from '../../src/schemas.js';
import { FRESH_VALIDATED } from '../../src/sink.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair } from '../helpers/sinks.js';
import { writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close({ timeoutMs: 2000 });
});

async function openStore(): Promise<LmdbMemoryStore> {
  const s = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
  stores.push(s);
  await s.insert({ id: 'r1', text: 'one' });
  return s;
}

/** A fresh id in the library's format, as a caller finds on an entry read back from a store. */
function libraryId(): string {
  const b = reserveEntryIds(1);
  return formatEntryId(b.ms, b.seq0);
}

const cues = async (s: LmdbMemoryStore) => (await s.get('r1'))!.provenance.map((e) => e.cue);

describe('entry ids are the library’s', () => {
  it('refuses an entryId a caller made up, naming the field, on enqueue and on both store writes', async () => {
    const store = await openStore();
    const q = store.enableProvenanceQueue({ durability: 'memory' });
    for (const id of ['custom-1', 'x', '9999999999999-mine-0000000001', 'r1:00001']) {
      const bad = [pair('r1', 'ok'), pair('r1', 'made-up id', { entryId: id })];
      expect(() => q.enqueue(bad), id).toThrow(InvalidPairError);
      expect(() => q.enqueue(bad), id).toThrow(/pairs\[1\]\.entry\.entryId: entryId is assigned by the library/);
      await expect(store.appendProvenanceBatch(bad), id).rejects.toThrow(/pairs\[1\]\.entry\.entryId/);
      expect(() => store.appendProvenanceBatchSync(bad), id).toThrow(/pairs\[1\]\.entry\.entryId/);
    }
    expect(q.stats().enqueuedPairs).toBe(0);
    expect(store.stats().entries).toBe(0);
  });

  it('takes back an entry read from the store: the stored entry is kept, the write counted as a duplicate', async () => {
    const store = await openStore();
    await store.appendProvenanceBatch([pair('r1', 'original')]);
    const stored = (await store.get('r1'))!.provenance[0]!;
    expect(stored.entryId).toMatch(/^\d{13}-/);
    const changed: ProvenanceEntry = { ...stored, cue: 'rewritten' };
    await store.appendProvenanceBatch([['r1', changed]]);
    store.appendProvenanceBatchSync([['r1', changed]]);
    // The exit drain's own call: the queue's context says the pairs are fresh and validated.
    store.appendProvenanceBatchSync([['r1', changed]], FRESH_VALIDATED);
    expect(await cues(store)).toEqual(['original']);
    expect(store.stats()).toMatchObject({ entries: 1, duplicatePairs: 3 });
  });

  it('two entries enqueued with the same id, in separate sink calls in flight at once: the first is kept, the second counted', async () => {
    const store = await openStore();
    const q = store.enableProvenanceQueue({ durability: 'memory', coalesceMs: 0, maxBatchPairs: 1 });
    const id = libraryId();
    // One call: 20 pairs become 20 sink calls, up to 16 in flight in LMDB at once.
    const pairs = Array.from({ length: 20 }, (_, i) => pair('r1', `p${i}`, i === 3 || i === 11 ? { entryId: id } : {}));
    q.enqueue(pairs);
    expect(await q.flush(5000)).toBe(true);
    const history = (await store.get('r1'))!.provenance;
    expect(history.filter((e) => e.entryId === id).map((e) => e.cue)).toEqual(['p3']);
    expect(history).toHaveLength(19);
    expect(store.stats()).toMatchObject({ entries: 19, duplicatePairs: 1 });
  });

  it('two entries with the same id in one store call: the first is kept (async and sync)', async () => {
    const store = await openStore();
    const a = libraryId();
    await store.appendProvenanceBatch([pair('r1', 'first', { entryId: a }), pair('r1', 'second', { entryId: a })]);
    const b = libraryId();
    store.appendProvenanceBatchSync([pair('r1', 'third', { entryId: b }), pair('r1', 'fourth', { entryId: b })]);
    expect(await cues(store)).toEqual(['first', 'third']);
    expect(store.stats()).toMatchObject({ entries: 2, duplicatePairs: 2 });
  });

  it('read back from a spill file, a line whose id is stored already changes nothing; a made-up id quarantines the file', async () => {
    const store = await openStore();
    await store.appendProvenanceBatch([pair('r1', 'original')]);
    const stored = (await store.get('r1'))!.provenance[0]!;
    const dir = `${store.path}/provenance-overflow`;
    const line = (entryId: string, cue: string) => JSON.stringify({ recordId: 'r1', entryId, entry: { ts: stored.ts, cue, sessionId: 's' } });
    writeRawFile(dir, '0000000000001-000000-1.jsonl', `${line(stored.entryId!, 'forged')}\n${line(libraryId(), 'new')}\n`);
    writeRawFile(dir, '0000000000002-000000-1.jsonl', `${line('custom-1', 'foreign')}\n`);
    const q = store.enableProvenanceQueue({ durability: 'memory', idlePollMs: 20 });
    const left = () => readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    expect(await until(() => left().length === 1 && left()[0]!.includes('.failed-'), 30_000)).toBe(true);
    expect(await q.flush(5000)).toBe(true);
    expect(await cues(store)).toEqual(['original', 'new']);
    expect(store.stats()).toMatchObject({ entries: 2, duplicatePairs: 1 });
  });
});
