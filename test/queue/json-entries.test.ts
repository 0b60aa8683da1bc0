// Item 3 of issue 9: an entry that is not plain JSON data (a cycle, a BigInt, a function,
// a symbol, undefined, a non-finite number, a class instance, anywhere in its extra
// fields) is rejected by enqueue and by both store write paths, naming the field; nothing
// of the call is queued or written, and no valid pair — before or after — is lost.
// Checked against today's code (the fast check looked only at ts/cue/sessionId): every
// "rejects" case below was accepted, and the poisoned queue then never flushed.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidPairError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const queues: ProvenanceWriteQueue[] = [];
const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop({ timeoutMs: 2000 });
  for (const s of stores.splice(0)) await s.close({ timeoutMs: 2000 });
});

function makeQueue(sink: RecordingSink): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, coalesceMs: 1, durability: 'memory' });
  q.start();
  queues.push(q);
  return q;
}

/** Each poison value, where it sits, and the field the error must name. */
function poisons(): { name: string; extra: Record<string, unknown>; field: RegExp }[] {
  const loop: Record<string, unknown> = { a: 1 };
  loop.loop = loop;
  const deepLoop: Record<string, unknown> = { list: [1, 2] };
  (deepLoop.list as unknown[]).push({ back: deepLoop });
  class Point {
    x = 1;
  }
  return [
    { name: 'a cycle', extra: { meta: loop }, field: /pairs\[2\]\.entry\.meta\.loop/ },
    { name: 'a cycle through an array', extra: { meta: deepLoop }, field: /pairs\[2\]\.entry\.meta\.list\[2\]\.back/ },
    { name: 'a BigInt', extra: { n: 10n }, field: /pairs\[2\]\.entry\.n: .*BigInt/ },
    { name: 'a function', extra: { f: () => 1 }, field: /pairs\[2\]\.entry\.f: .*function/ },
    { name: 'a symbol', extra: { s: Symbol('x') }, field: /pairs\[2\]\.entry\.s: .*symbol/ },
    { name: 'undefined', extra: { u: undefined }, field: /pairs\[2\]\.entry\.u: .*undefined/ },
    { name: 'undefined in an array', extra: { list: [1, undefined] }, field: /pairs\[2\]\.entry\.list\[1\]/ },
    { name: 'NaN', extra: { score: Number.NaN }, field: /pairs\[2\]\.entry\.score: .*finite/ },
    { name: 'Infinity, nested', extra: { m: { s: Infinity } }, field: /pairs\[2\]\.entry\.m\.s: .*finite/ },
    { name: 'a Date', extra: { when: new Date(0) }, field: /pairs\[2\]\.entry\.when: .*plain/ },
    { name: 'a Map', extra: { m: new Map() }, field: /pairs\[2\]\.entry\.m: .*plain/ },
    { name: 'a class instance', extra: { p: new Point() }, field: /pairs\[2\]\.entry\.p: .*plain/ },
    // An entry too big for the reader's line limit would be spilled and then quarantined:
    // refused here instead. (Checked: without the character budget, this case is accepted.)
    { name: 'more than 1 Mi characters', extra: { blob: 'x'.repeat(1024 * 1024) }, field: /pairs\[2\]\.entry\.blob: .*characters/ },
  ];
}

const ok = (cue: string) => pair('r1', cue, { rank: 0, score: 0.5, meta: { tags: ['a', 'b'], nested: { n: 1, t: true, z: null } } });

describe('enqueue: entries must be plain JSON data', () => {
  for (const p of poisons()) {
    it(`rejects ${p.name} in an extra field, naming it; the whole call is refused and nothing is queued`, async () => {
      const sink = new RecordingSink();
      const q = makeQueue(sink);
      q.enqueue([ok('before')]);
      const call = () => q.enqueue([ok('same call 0'), ok('same call 1'), pair('r1', 'bad', p.extra)]);
      expect(call).toThrow(InvalidPairError);
      expect(call).toThrow(p.field);
      // Not one pair of the rejected call was taken: the valid ones beside the bad one included.
      expect(q.stats().enqueuedPairs).toBe(1);
      q.enqueue([ok('after')]);
      expect(await q.flush(5000)).toBe(true);
      expect(sink.cues()).toEqual(['before', 'after']);
    });
  }

  it('takes nested plain data, arrays and a shared (acyclic) object', async () => {
    const sink = new RecordingSink();
    const q = makeQueue(sink);
    const shared = { k: 'v' };
    q.enqueue([pair('r1', 'nested', { a: shared, b: [shared, [1, 'x', false, null]], neg: -0.5 })]);
    expect(await q.flush(5000)).toBe(true);
    expect(sink.pairs[0]![1]).toMatchObject({ a: { k: 'v' }, b: [{ k: 'v' }, [1, 'x', false, null]], neg: -0.5 });
  });

  it('keeps what was enqueued: a nested field changed afterwards (made circular) changes nothing queued', async () => {
    // Checked by making parsePairs copy only the top level (as before): the flush then hung on a cycle.
    const sink = new RecordingSink();
    const q = makeQueue(sink);
    const meta: Record<string, unknown> = { n: 1 };
    const entry = pair('r1', 'mutated later', { meta });
    q.enqueue([entry]);
    meta.n = 2;
    meta.self = meta;
    expect(await q.flush(5000)).toBe(true);
    expect(sink.pairs[0]![1].meta).toEqual({ n: 1 });
    expect(JSON.stringify(sink.pairs[0])).toContain('"n":1');
  });
});

describe('LmdbMemoryStore write paths: entries must be plain JSON data', () => {
  it('appendProvenanceBatch and appendProvenanceBatchSync reject a poisoned batch whole, naming the field, and write none of it', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    stores.push(store);
    await store.insert({ id: 'r1', text: 'x' });
    for (const p of poisons()) {
      const batch = [ok('a'), ok('b'), pair('r1', 'bad', p.extra)];
      await expect(store.appendProvenanceBatch(batch), p.name).rejects.toThrow(p.field);
      expect(() => store.appendProvenanceBatchSync(batch), p.name).toThrow(p.field);
    }
    expect(store.stats().entries).toBe(0);
    await store.appendProvenanceBatch([ok('valid')]);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['valid']);
  });
});
