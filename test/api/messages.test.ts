// The messages issue 12 found unhelpful, each checked for its new text and its stable code:
// the message names the field and what to do; nothing was done (no queue, no rename).
// Checked: each assertion failed on the code before the fix (a TypeError/RangeError with
// no code, zod's `Unrecognized keys: "0", "1"`, flush(-1) resolving) — re-checked by
// reverting parseOptions' object check, get()'s id check and parseFlushArgument's number
// check one at a time (the matching test fails each time).
import { afterEach, describe, expect, it } from 'vitest';
import { ProvenanceQueueError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The error `f` throws (synchronously or as a rejection). */
async function caught(f: () => unknown): Promise<ProvenanceQueueError> {
  try {
    await f();
  } catch (err) {
    expect(err).toBeInstanceOf(ProvenanceQueueError);
    return err as ProvenanceQueueError;
  }
  throw new Error('expected an error, none was thrown');
}

async function openStore(): Promise<LmdbMemoryStore> {
  const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
  cleanups.push(() => store.close());
  return store;
}

describe('messages that name the field and what to do', () => {
  it('enableProvenanceQueue(null) and (\'fast\'): expected an object, no queue started', async () => {
    const store = await openStore();
    const a = await caught(() => store.enableProvenanceQueue(null as never));
    expect(a.code).toBe('PROVQ_INVALID_OPTIONS');
    expect(a.message).toBe(
      'invalid enableProvenanceQueue options: expected an object such as { coalesceMs: 20 }, got null; call it with no argument for the defaults',
    );
    const b = await caught(() => store.enableProvenanceQueue('fast' as never));
    expect(b.code).toBe('PROVQ_INVALID_OPTIONS');
    expect(b.message).toMatch(/^invalid enableProvenanceQueue options: expected an object such as \{ coalesceMs: 20 \}, got a string \("fast"\)/);
    expect(b.message).not.toMatch(/Unrecognized keys/);
    expect(store.provenanceQueue).toBeNull();
  });

  it('store.get with a 10,000-character id: the id limit, not a RangeError from LMDB', async () => {
    const store = await openStore();
    const e = await caught(() => store.get('x'.repeat(10_000)));
    expect(e.code).toBe('PROVQ_INVALID_ARGUMENT');
    expect(e.message).toBe(
      'invalid get(id): recordId must be at most 256 characters, got a string of 10000 characters; pass a record id as insert() returned it (1 to 256 characters)',
    );
    expect((await caught(() => store.get(42 as never))).message).toMatch(/^invalid get\(id\): recordId must be a string, got a number \(42\)/);
    // The limit itself is fine: a 256-character id that does not exist is simply not found.
    expect(await store.get('x'.repeat(256))).toBeUndefined();
  });

  it('flush(-1), flush(NaN) and flush(\'x\') are refused, naming the timeout and the default', async () => {
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: tempDir(), logger: silentLogger, exitHook: false });
    q.start();
    cleanups.push(() => q.stop());
    for (const [arg, got] of [
      [-1, 'a number (-1)'],
      [Number.NaN, 'a number (NaN)'],
      ['x', 'a string ("x")'],
      [null, 'null'],
    ] as const) {
      const e = await caught(() => q.flush(arg as never));
      expect(e.code).toBe('PROVQ_INVALID_OPTIONS');
      expect(e.message).toBe(
        `invalid flush argument: expected a timeout in milliseconds >= 0, as in flush(5000), or { timeoutMs, signal }, got ${got}; flush() waits 2000 ms by default`,
      );
    }
    const o = await caught(() => q.flush({ timeoutMs: -5 }));
    expect(o.message).toBe('invalid flush options: timeoutMs: timeoutMs must be >= 0');
    expect(await q.flush(0)).toBe(true); // 0 is a valid timeout: nothing pending
  });

  it('close, disableProvenanceQueue, open, insert and recall with a non-object say what object they expect', async () => {
    const store = await openStore();
    const cases: [() => unknown, RegExp][] = [
      [() => store.close('soon' as never), /^invalid close options: expected an object such as \{ timeoutMs: 5000 \}.*got a string \("soon"\)$/],
      [() => store.disableProvenanceQueue(5000 as never), /^invalid disableProvenanceQueue options: expected an object such as \{ timeoutMs: 5000 \}.*got a number \(5000\)$/],
      [() => LmdbMemoryStore.open('/tmp/x' as never), /^invalid LmdbMemoryStore.open options: expected an object such as \{ path: '\.\/memories' \}, got a string/],
      [() => store.insert(null as never), /^invalid record: expected an object such as \{ text: 'a memory' \}, got null$/],
      [() => store.recall([] as never), /^invalid recall query: expected an object such as \{ cue: .*, sessionId: 's1' \}, got an array$/],
    ];
    for (const [f, message] of cases) {
      const e = await caught(f);
      expect(e.code).toBe('PROVQ_INVALID_OPTIONS');
      expect(e.message).toMatch(message);
    }
    expect(await store.get('r1')).toBeUndefined(); // close('soon') threw before closing anything
  });

  it('new ProvenanceWriteQueue without spillDir names it and where store queues put it', async () => {
    const e = await caught(() => new ProvenanceWriteQueue(new RecordingSink(), {} as never));
    expect(e.code).toBe('PROVQ_INVALID_OPTIONS');
    expect(e.message).toMatch(/spillDir is required for a queue built directly/);
  });
});
