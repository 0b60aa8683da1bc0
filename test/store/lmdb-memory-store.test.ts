import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { StoreClosedError, StoreOpenError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp.js';
import { pair } from '../helpers/sinks.js';
import { REPLAYED_VALIDATED } from '../../src/sink.js';
import { formatEntryId } from '../../src/entry-id.js';

const stores: LmdbMemoryStore[] = [];
async function openStore(path = tempDir()): Promise<LmdbMemoryStore> {
  const s = await LmdbMemoryStore.open({ path, logger: silentLogger });
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('LmdbMemoryStore', () => {
  it('ranks by cosine similarity when an embedding is given, and returns the top k', async () => {
    const store = await openStore();
    const a = await store.insert({ text: 'alpha', embedding: [1, 0, 0] });
    const b = await store.insert({ text: 'beta', embedding: [0.7, 0.7, 0] });
    await store.insert({ text: 'gamma', embedding: [0, 0, 1] });
    const hits = await store.recall({ cue: 'q', sessionId: 's', embedding: [1, 0.1, 0], k: 2 });
    expect(hits.map((h) => h.id)).toEqual([a, b]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it('ranks by text overlap without an embedding', async () => {
    const store = await openStore();
    await store.insert({ text: 'the weather in Lisbon' });
    const cat = await store.insert({ text: 'my cat likes tuna' });
    const hits = await store.recall({ cue: 'what does my cat like', sessionId: 's' });
    expect(hits[0]!.id).toBe(cat);
  });

  it('with the queue disabled, recall writes through appendProvenanceBatch and the entry is readable at once', async () => {
    const store = await openStore();
    const id = await store.insert({ text: 'sync fallback record' });
    const spy = vi.spyOn(store, 'appendProvenanceBatch');
    await store.recall({ cue: 'sync fallback', sessionId: 's1' });
    expect(spy).toHaveBeenCalledTimes(1);
    const rec = await store.get(id);
    expect(rec!.provenance.map((e) => e.cue)).toEqual(['sync fallback']);
    expect(rec!.provenance[0]).toMatchObject({ sessionId: 's1', rank: 0 });
  });

  // The sink is held closed until the end: recall must resolve while the write cannot have
  // happened (was a 500 ms sink and a 250 ms bound on recall, a race under load: a recall
  // slower than 500 ms saw its entry written, one slower than 250 ms failed the bound).
  // Checked: with recall awaiting provenanceQueue.flush() after the enqueue, recall never
  // resolves while the sink is held and 'waited' fails the first expect.
  it('with the queue on, recall resolves while the sink is held and its write not yet done', async () => {
    const store = await openStore();
    const id = await store.insert({ text: 'slow sink record' });
    const real = store.appendProvenanceBatch.bind(store);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let sinkCalls = 0;
    store.appendProvenanceBatch = async (pairs) => {
      sinkCalls++;
      await gate;
      return real(pairs);
    };
    const q = store.enableProvenanceQueue({ coalesceMs: 0 });
    let bound: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      store.recall({ cue: 'slow sink', sessionId: 's' }).then(() => 'returned'),
      new Promise((r) => (bound = setTimeout(() => r('waited'), 10_000))), // generous: it returns, it does not wait
    ]);
    clearTimeout(bound);
    const storedWhileHeld = (await store.get(id))!.provenance.length;
    open(); // let go in any case, so close() can drain
    expect(outcome).toBe('returned');
    expect(storedWhileHeld).toBe(0);
    expect(await q.flush(10_000)).toBe(true);
    expect(sinkCalls).toBe(1);
    expect((await store.get(id))!.provenance.map((e) => e.cue)).toEqual(['slow sink']);
  });

  it('keeps a record’s provenance in recall order: first, second, third', async () => {
    const store = await openStore();
    const id = await store.insert({ text: 'ordered record' });
    const q = store.enableProvenanceQueue();
    for (const cue of ['first', 'second', 'third']) await store.recall({ cue: `${cue} ordered`, sessionId: 's' });
    expect(await q.flush()).toBe(true);
    expect((await store.get(id))!.provenance.map((e) => e.cue)).toEqual(['first ordered', 'second ordered', 'third ordered']);
  });

  it('writes the same entryId once, however often it is appended (async and sync)', async () => {
    const store = await openStore();
    await store.insert({ id: 'r1', text: 'x' });
    const p = pair('r1', 'once', { entryId: formatEntryId(1, 1) });
    await store.appendProvenanceBatch([p]);
    await store.appendProvenanceBatch([p, p]);
    store.appendProvenanceBatchSync([p]);
    expect((await store.get('r1'))!.provenance).toHaveLength(1);
    expect(store.stats().entries).toBe(1);
    // Every write of an id already stored is checked and counted: [p, p] 2, sync 1, the replay 1.
    await store.appendProvenanceBatch([p, pair('r1', 'new', { entryId: formatEntryId(2, 1) })], { ...REPLAYED_VALIDATED, validated: false });
    expect(store.stats()).toMatchObject({ entries: 2, duplicatePairs: 4 });
  });

  it('skips and counts pairs for unknown records without failing the batch', async () => {
    const store = await openStore();
    await store.insert({ id: 'known', text: 'x' });
    await store.appendProvenanceBatch([pair('ghost', 'a'), pair('known', 'b')]);
    store.appendProvenanceBatchSync([pair('ghost', 'c')]);
    expect((await store.get('known'))!.provenance.map((e) => e.cue)).toEqual(['b']);
    expect(store.stats()).toMatchObject({ unknownRecordPairs: 2, entries: 1 });
  });

  // Checked: without the fresh read snapshot in EntryKeys (lmdb-js keeps a read transaction
  // until a setTimeout(0) fires), 'late' is not found and its pair is skipped as unknown, and
  // this fails. The test below hit the same staleness only under load (twice in the full suite).
  it('finds a record another handle inserted since this handle last read, within the same turn', async () => {
    const path = tempDir();
    const a = await openStore(path);
    void (await a.get('nothing-yet')); // a reads: lmdb-js keeps this snapshot until a timer fires
    // Another writer commits the record synchronously, in this same turn (no timer runs).
    const raw = open({ path: join(path, 'store.mdb'), maxDbs: 4 });
    raw.openDB({ name: 'records' }).putSync('late', { id: 'late', text: 'inserted by another writer', createdAt: new Date().toISOString() });
    const appended = a.appendProvenanceBatch([pair('late', 'fresh')]);
    expect(await appended).toEqual({ duplicates: 0 });
    expect((await a.get('late'))!.provenance.map((e) => e.cue)).toEqual(['fresh']);
    await raw.close();
  });

  it('writes pairs for a record another handle inserted after this one opened, also after one was refused', async () => {
    // The store skips the LMDB read for records it has indexed; any other record is looked
    // up. Checked: with the lookup removed (keyOf trusting the index alone) the pairs for
    // 'late' are counted unknown and this fails; with an unknown record remembered across
    // batches, the second append is refused and this fails too.
    const path = tempDir();
    const a = await openStore(path);
    const b = await openStore(path);
    await a.appendProvenanceBatch([pair('late', 'before')]);
    await b.insert({ id: 'late', text: 'inserted by another handle' });
    await a.appendProvenanceBatch([pair('late', 'async')]);
    a.appendProvenanceBatchSync([pair('late', 'sync')]);
    expect((await a.get('late'))!.provenance.map((e) => e.cue)).toEqual(['async', 'sync']);
    expect(a.stats()).toMatchObject({ unknownRecordPairs: 1, entries: 2 });
  });

  it('rejects an invalid pair in appendProvenanceBatch, naming the field, and writes nothing of the batch', async () => {
    const store = await openStore();
    await store.insert({ id: 'r1', text: 'x' });
    await expect(
      store.appendProvenanceBatch([pair('r1', 'good'), ['r1', { ts: 'nope', cue: 'x', sessionId: 's' }]]),
    ).rejects.toThrow(/pairs\[1\]\.entry\.ts/);
    expect((await store.get('r1'))!.provenance).toHaveLength(0);
  });

  it('appends to a long history without disturbing it (the cost is measured by bench row 4)', async () => {
    const store = await openStore();
    await store.insert({ id: 'long', text: 'x' });
    const pairs = Array.from({ length: 2000 }, (_, i) => pair('long', `c${i}`));
    await store.appendProvenanceBatch(pairs);
    await store.appendProvenanceBatch([pair('long', 'one more')]);
    const prov = (await store.get('long'))!.provenance;
    expect(prov.map((e) => e.cue)).toEqual([...pairs.map(([, e]) => e.cue), 'one more']);
  });

  it('names the path when it is a file, and refuses use after close', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    await expect(LmdbMemoryStore.open({ path: file })).rejects.toThrow(StoreOpenError);
    await expect(LmdbMemoryStore.open({ path: file })).rejects.toThrow(file);
    await expect(LmdbMemoryStore.open({ path: '' })).rejects.toThrow(/path/);
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    await store.close();
    await expect(store.get('x')).rejects.toThrow(StoreClosedError);
  });

  it('keeps data across close and reopen', async () => {
    const path = tempDir();
    const s1 = await LmdbMemoryStore.open({ path, logger: silentLogger });
    await s1.insert({ id: 'r1', text: 'persisted cat' });
    s1.enableProvenanceQueue();
    await s1.recall({ cue: 'cat', sessionId: 's' });
    await s1.close(); // drains the queue
    const s2 = await openStore(path);
    expect((await s2.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['cat']);
    expect((await s2.recall({ cue: 'persisted', sessionId: 's', k: 1 }))[0]!.id).toBe('r1');
  });
});

describe('runtime toggle', () => {
  it('enable is idempotent and disable drains before returning to the sync fallback', async () => {
    const store = await openStore();
    const id = await store.insert({ text: 'toggle me' });
    const q1 = store.enableProvenanceQueue({ coalesceMs: 10_000 });
    expect(store.enableProvenanceQueue()).toBe(q1);
    await store.recall({ cue: 'toggle', sessionId: 's' });
    expect((await store.get(id))!.provenance).toHaveLength(0); // still coalescing
    await store.disableProvenanceQueue();
    expect(store.provenanceQueue).toBeNull();
    expect((await store.get(id))!.provenance).toHaveLength(1);
    await store.disableProvenanceQueue(); // idempotent
  });

  it('toggled 50 times during 5,000 concurrent recalls: exactly one entry per hit', async () => {
    const store = await openStore();
    for (let i = 0; i < 20; i++) await store.insert({ id: `r${i}`, text: `topic${i % 4} memory ${i}` });
    let hits = 0;
    const cues = new Set<string>();
    const recalls: Promise<void>[] = [];
    let toggles = 0;
    for (let i = 0; i < 5000; i++) {
      const cue = `topic${i % 4} q${i}`;
      recalls.push(
        store.recall({ cue, sessionId: 's', k: 3 }).then((h) => {
          hits += h.length;
          if (h.length) cues.add(cue);
        }),
      );
      if (i % 100 === 50) {
        recalls.push(toggles++ % 2 === 0 ? Promise.resolve(void store.enableProvenanceQueue({ coalesceMs: 5 })) : store.disableProvenanceQueue());
        await new Promise((r) => setImmediate(r));
      }
    }
    await Promise.all(recalls);
    expect(toggles).toBe(50);
    await store.disableProvenanceQueue();
    let entries = 0;
    const perCue = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      for (const e of (await store.get(`r${i}`))!.provenance) {
        entries++;
        perCue.set(`${e.cue}|r${i}`, (perCue.get(`${e.cue}|r${i}`) ?? 0) + 1);
      }
    }
    expect(hits).toBe(5000 * 3);
    expect(entries).toBe(hits);
    expect([...perCue.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('recall never fails because of provenance', () => {
  it('falls back to the sync path when its queue was stopped directly', async () => {
    const store = await openStore();
    const id = await store.insert({ text: 'stopped queue record' });
    const q = store.enableProvenanceQueue();
    await q.stop();
    await store.recall({ cue: 'stopped queue', sessionId: 's' });
    expect((await store.get(id))!.provenance).toHaveLength(1);
    expect(store.enableProvenanceQueue()).not.toBe(q); // a fresh, running queue
  });
});

describe('key limits', () => {
  it('stores the longest valid recordId with the longest valid entryId (multi-byte)', async () => {
    const store = await openStore();
    const recordId = '€'.repeat(256); // 768 bytes of UTF-8
    await store.insert({ id: recordId, text: 'x' });
    const entryId = `1767225600000-file:${'€'.repeat(271)}:000000001`; // the library's derived format, 300 chars
    expect(entryId).toHaveLength(300);
    await store.appendProvenanceBatch([pair(recordId, 'longest', { entryId })]);
    expect((await store.get(recordId))!.provenance.map((e) => e.cue)).toEqual(['longest']);
    await expect(store.appendProvenanceBatch([pair(recordId, 'too long', { entryId: 'x'.repeat(301) })])).rejects.toThrow(
      /entryId must be at most 300/,
    );
  });
});
