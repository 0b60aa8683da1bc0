// A logger that throws (a circular field, a closed transport) is the application's bug, but
// it must not cost a pair: the worker, the read-back and stop() go on as with a good one.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const throwing: Logger = {
  debug: () => {
    throw new Error('logger broken');
  },
  info: () => {
    throw new Error('logger broken');
  },
  warn: () => {
    throw new Error('logger broken');
  },
  error: () => {
    throw new Error('logger broken');
  },
};

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterAll(() => process.off('unhandledRejection', onUnhandled));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function spilledCues(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').trim().split('\n'))
    .map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue);
}

describe('a logger that throws', () => {
  // Checked: without the guard around the logger, the failed call's log line threw out of
  // the worker's write: an unhandled rejection, the pairs stuck as "in a call" and flush() false.
  it('a sink call that fails once is still retried and written; no unhandled rejection', async () => {
    const sink = new RecordingSink();
    sink.failNext = 1;
    const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), logger: throwing, coalesceMs: 0, durability: 'memory', retryBaseMs: 1, exitHook: false });
    q.start();
    cleanups.push(() => q.stop({ timeoutMs: 1000 }));
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    expect(await q.flush(5000)).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b']);
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });

  // Checked: without the guard, the deadline's warning threw before anything was saved:
  // stop() rejected and the pair was in no spill file.
  it('stop() at its deadline with a hung sink still resolves and saves every pair to the spill dir', async () => {
    const spillDir = join(tempDir(), 'spill');
    const hung = { appendProvenanceBatch: () => new Promise<void>(() => {}) };
    const q = new ProvenanceWriteQueue(hung, { spillDir, logger: throwing, coalesceMs: 0, durability: 'memory', exitHook: false });
    q.start();
    q.enqueue([pair('r1', 'x')]);
    await q.stop({ timeoutMs: 100 });
    expect(spilledCues(spillDir)).toEqual(['x']);
  });
});
