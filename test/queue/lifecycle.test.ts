// The queue's lifecycle as an application sees it: stop and close bounded and once, events
// to watch it, the exit hook switched off, flush's arguments checked.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionsError, QueueEnabledError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A sink whose calls never settle: the worst a network store can do. */
const neverSettles = { appendProvenanceBatch: () => new Promise<void>(() => {}) };

function spilledCues(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').trim().split('\n'))
    .map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue);
}

describe('stop and close are bounded', () => {
  // Checked: without the deadline in stopOnce, stop() waits for the sink for ever (test times out).
  it('stop() with a sink that never settles resolves at timeoutMs and saves every pair to the spill dir', async () => {
    const spillDir = join(tempDir(), 'spill');
    const q = new ProvenanceWriteQueue(neverSettles, { spillDir, logger: silentLogger, coalesceMs: 0, durability: 'memory' });
    q.start();
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    q.enqueue([pair('r1', 'c')]);
    const t0 = performance.now();
    await q.stop({ timeoutMs: 200 });
    expect(performance.now() - t0).toBeLessThan(5000); // generous: it returns, it does not hang
    expect(spilledCues(spillDir).sort()).toEqual(['a', 'b', 'c']);
  });

  it('stop() resolves when its AbortSignal aborts, saving what is left', async () => {
    const spillDir = join(tempDir(), 'spill');
    const q = new ProvenanceWriteQueue(neverSettles, { spillDir, logger: silentLogger, coalesceMs: 0, durability: 'memory' });
    q.start();
    q.enqueue([pair('r1', 'x')]);
    const ac = new AbortController();
    const stopped = q.stop({ signal: ac.signal, timeoutMs: 60_000 });
    setTimeout(() => ac.abort(), 50);
    await stopped;
    expect(spilledCues(spillDir)).toEqual(['x']);
  });

  // Checked: with close() not shared (each call running closeOnce), the second call closes
  // LMDB under the first one's drain and the drain's writes fail.
  it('close() twice at once closes LMDB once, after the drain: every entry is there on reopen', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    await store.insert({ id: 'r1', text: 'a record' });
    const real = store.appendProvenanceBatch.bind(store);
    store.appendProvenanceBatch = async (pairs, context) => {
      await new Promise((r) => setTimeout(r, 100)); // the drain takes a while
      return real(pairs, context);
    };
    const q = store.enableProvenanceQueue({ coalesceMs: 0 });
    for (let i = 0; i < 20; i++) q.enqueue([pair('r1', `c${i}`)]);
    await Promise.all([store.close(), store.close()]);
    const again = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => again.close());
    expect((await again.get('r1'))!.provenance.map((e) => e.cue)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    expect(existsSync(join(path, 'provenance-overflow'))).toBe(false); // written to LMDB, not spilled
  });
});

describe('events', () => {
  it("tells 'writeError' for each failed attempt, 'spilled' with the file and pairs, and 'idle' once all is durable", async () => {
    const spillDir = join(tempDir(), 'spill');
    const sink = new RecordingSink();
    sink.failNext = 2;
    const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, coalesceMs: 0, maxAttempts: 2, retryBaseMs: 5, durability: 'memory' });
    const seen: string[] = [];
    q.on('writeError', ({ pairs, attempt }) => seen.push(`writeError ${pairs} #${attempt}`));
    q.on('spilled', ({ file, pairs }) => seen.push(`spilled ${pairs} ${file.endsWith('.jsonl')}`));
    const idle = new Promise<void>((resolve) => q.once('idle', resolve));
    q.start();
    cleanups.push(() => q.stop());
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    await idle;
    expect(seen).toEqual(['writeError 2 #1', 'writeError 2 #2', 'spilled 2 true']);
    expect(sink.cues()).toEqual(['a', 'b']); // read back from the spill file
  });

  it("tells 'quarantined' with the file and the reason", async () => {
    const spillDir = tempDir();
    const { writeRawFile } = await import('../helpers/spill-files.js');
    writeRawFile(spillDir, 'bad.jsonl', '{not json\n');
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir, logger: silentLogger, durability: 'memory' });
    const quarantined = new Promise<{ file: string; reason: string }>((resolve) => q.once('quarantined', resolve));
    q.start();
    cleanups.push(() => q.stop());
    const e = await quarantined;
    expect(e.file).toBe('bad.jsonl');
    expect(e.reason).toMatch(/line 1/);
  });

  it('a listener that throws does not stop the queue', async () => {
    const sink = new RecordingSink();
    const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, coalesceMs: 0, durability: 'memory' });
    q.on('idle', () => {
      throw new Error('listener bug');
    });
    q.start();
    cleanups.push(() => q.stop());
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush()).toBe(true);
    q.enqueue([pair('r1', 'b')]);
    expect(await q.flush()).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b']);
  });
});

describe('options and arguments', () => {
  it('flush() refuses a negative or non-numeric timeout, naming it', async () => {
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: tempDir(), logger: silentLogger });
    q.start();
    cleanups.push(() => q.stop());
    expect(() => q.flush(-1)).toThrow(/timeout in milliseconds >= 0.*got a number \(-1\)/);
    expect(() => q.flush('x' as never)).toThrow(InvalidOptionsError);
  });

  it('flush() resolves false when its signal aborts while the sink is held', async () => {
    const sink = new RecordingSink();
    sink.hold();
    const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, coalesceMs: 0 });
    q.start();
    cleanups.push(async () => (sink.release(), q.stop()));
    q.enqueue([pair('r1', 'a')]);
    const ac = new AbortController();
    const flushed = q.flush({ timeoutMs: 60_000, signal: ac.signal });
    ac.abort();
    expect(await flushed).toBe(false);
  });

  it('enableProvenanceQueue with other options while one is on throws, naming both; the same options return it', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    cleanups.push(() => store.close());
    const q = store.enableProvenanceQueue({ coalesceMs: 20 });
    expect(store.enableProvenanceQueue({ coalesceMs: 20 })).toBe(q);
    expect(store.enableProvenanceQueue()).toBe(q);
    expect(() => store.enableProvenanceQueue({ coalesceMs: 99 })).toThrow(QueueEnabledError);
    expect(() => store.enableProvenanceQueue({ coalesceMs: 99 })).toThrow(/coalesceMs: 20.*coalesceMs: 99/);
    expect(() => store.enableProvenanceQueue(null as never)).toThrow(/expected an object.*got null/);
    expect(() => store.enableProvenanceQueue('fast' as never)).toThrow(/expected an object.*got a string/);
  });

  it('with exitHook: false the queue adds no exit listener', async () => {
    const before = process.listenerCount('exit');
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: tempDir(), logger: silentLogger, exitHook: false });
    q.start();
    cleanups.push(() => q.stop());
    expect(process.listenerCount('exit')).toBe(before);
    const withHook = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: tempDir(), logger: silentLogger });
    withHook.start();
    cleanups.push(() => withHook.stop());
    expect(process.listenerCount('exit')).toBe(before + 1);
  });

  it('works with await using: the queue is stopped (drained) at the end of the block', async () => {
    const sink = new RecordingSink();
    {
      await using q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, coalesceMs: 10_000 });
      q.start();
      q.enqueue([pair('r1', 'scoped')] as ProvenancePair[]);
    }
    expect(sink.cues()).toEqual(['scoped']);
  });
});
