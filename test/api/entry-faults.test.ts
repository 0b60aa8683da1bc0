// What a refused entry's message says: where in the entry the fault is, and what it is —
// exactly, for the faults a caller can make by accident (a cycle, too deep, an object that
// is not plain data, a key named __proto__ from JSON.parse).
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, PROTO_KEY_REFUSED } from '../../src/json-data.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const queues: ProvenanceWriteQueue[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function refusal(extra: Record<string, unknown>): string {
  const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: tempDir(), logger: silentLogger, exitHook: false });
  q.start();
  queues.push(q);
  try {
    q.enqueue([['r1', { ts: new Date().toISOString(), cue: 'c', sessionId: 's', ...extra }]]);
  } catch (err) {
    return (err as Error).message.replace(/^invalid provenance pair: /, '').replace(/ \(nothing was queued; fix the pair and enqueue it again\)$/, '');
  }
  return 'accepted';
}

/** `levels` nested arrays around 1. */
const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

describe('a refused entry names where and what', () => {
  // Checked (issue 14, values-run survivors in json-data.ts's walk): with the cycle's,
  // the depth's, the __proto__ key's result given another path or an empty reason, the
  // exact message differs and this fails; with the depth test `>=` made `>`, the entry one
  // level too deep is accepted and this fails. Restored, it passes. (The object without a
  // plain prototype read "a an object without…" before this test.)
  it('a cycle, one level too deep, an object without a plain prototype, a class instance, a __proto__ key', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(refusal({ meta: loop })).toBe('pairs[0].entry.meta.self: a circular reference; entries must be plain JSON data (no cycles)');
    // The entry is the first level: meta's arrays are levels 2 and on.
    expect(refusal({ meta: nested(MAX_JSON_DEPTH - 1) })).toBe('accepted');
    expect(refusal({ meta: nested(MAX_JSON_DEPTH) })).toBe(`pairs[0].entry.meta${'[0]'.repeat(MAX_JSON_DEPTH - 1)}: nested deeper than ${MAX_JSON_DEPTH} levels; flatten it`);
    const bare = Object.create(Object.create(null) as object) as Record<string, unknown>;
    bare.a = 1;
    expect(refusal({ meta: bare })).toBe('pairs[0].entry.meta: an object without a plain prototype is not a plain object; store plain JSON data (e.g. a date as an ISO string)');
    class Point {
      x = 1;
    }
    expect(refusal({ at: new Point() })).toBe('pairs[0].entry.at: a Point is not a plain object; store plain JSON data (e.g. a date as an ISO string)');
    expect(refusal(JSON.parse('{"meta":{"__proto__":1}}') as Record<string, unknown>)).toBe(`pairs[0].entry.meta.__proto__: ${PROTO_KEY_REFUSED}`);
  });

  // Checked: with provenanceEntrySchema's own-key check taken out (the loose object alone),
  // enqueue and both store calls accept the entry and store it without its __proto__ field
  // (found by entry-values.test.ts's property run on session 17's CI), and this fails.
  it("a key named __proto__ at the entry's top (JSON.parse makes one) is refused by enqueue and by the store, never stored without it", async () => {
    const withProto = (): Record<string, unknown> => JSON.parse('{"__proto__":["x"]}') as Record<string, unknown>;
    expect(refusal(withProto())).toBe(`pairs[0].entry.__proto__: ${PROTO_KEY_REFUSED}`);
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    cleanups.push(() => store.close());
    await store.insert({ id: 'r1', text: 'x' });
    const entry = () => ({ ts: new Date().toISOString(), cue: 'c', sessionId: 's', ...withProto() });
    await expect(store.appendProvenanceBatch([['r1', entry()]])).rejects.toMatchObject({ code: 'PROVQ_INVALID_PAIR', message: expect.stringContaining('pairs[0].entry.__proto__') });
    expect(() => store.appendProvenanceBatchSync([['r1', entry()]])).toThrow(expect.objectContaining({ code: 'PROVQ_INVALID_PAIR' }));
    expect((await store.get('r1'))!.provenance).toEqual([]);
  });

  // Checked (values-run survivors): with walk's `finally { parents.pop() }` emptied, the
  // object reached twice is taken for a cycle by the store's check; with isPlainRecord's
  // `proto === null` made false, the null-prototype object is refused. Each fails this.
  it('plain data the fast path may not take is still accepted by enqueue and by the store: an object reached twice (no cycle), a null-prototype object', async () => {
    const shared = { tag: 'x' };
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    for (const extra of [{ first: shared, second: shared }, { meta: bare }]) {
      expect(refusal(extra)).toBe('accepted');
      const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
      cleanups.push(() => store.close());
      await store.insert({ id: 'r1', text: 'x' });
      await expect(store.appendProvenanceBatch([['r1', { ts: new Date().toISOString(), cue: 'c', sessionId: 's', ...extra }]])).resolves.toBeDefined();
      expect((await store.get('r1'))!.provenance).toHaveLength(1);
    }
  });
});
