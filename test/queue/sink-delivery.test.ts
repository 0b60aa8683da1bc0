// Delivery to the sink as its owner sees it: a call that never settles is given up and
// retried, a failing sink is logged once per episode, and its recovery is logged too.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A sink whose first call never settles (a hung connection); later calls work. */
class FirstCallHangsSink extends RecordingSink {
  private hung = false;
  override appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    if (!this.hung) {
      this.hung = true;
      return new Promise(() => {});
    }
    return super.appendProvenanceBatch(pairs);
  }
}

function startQueue(sink: RecordingSink, opts: object): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, durability: 'memory', coalesceMs: 0, ...opts });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return q;
}

function recordingLogger(): { logger: Logger; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_fields: object, msg: string) => void lines.push({ level, msg });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('sink delivery', () => {
  // Checked: with the time limit removed (call() returning the sink's promise as is), flush
  // resolves false: the hung call holds the only slot for ever.
  it('a sink call that never settles is given up after sinkTimeoutMs and retried: every pair written once', async () => {
    const sink = new FirstCallHangsSink();
    const q = startQueue(sink, { sinkTimeoutMs: 200, retryBaseMs: 10, retryMaxMs: 20 });
    const errors: unknown[] = [];
    q.on('writeError', (e) => errors.push(e.error));
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'PROVQ_SINK_TIMEOUT', message: expect.stringContaining('sinkTimeoutMs=200') });
    expect(q.stats()).toMatchObject({ writtenPairs: 2, writeErrors: 1, pendingPairs: 0 });
  });

  // Checked: with `this.failing = false` dropped after a success, every later healthy write
  // logs a recovery again and this fails; with the error logged on every attempt, the first
  // episode logs three and this fails.
  it('a failing sink is logged once per episode, and its recovery once', async () => {
    const sink = new RecordingSink();
    const { logger, lines } = recordingLogger();
    const q = startQueue(sink, { logger, maxAttempts: 10, retryBaseMs: 5, retryMaxMs: 10 });
    const failed = () => lines.filter((l) => l.level === 'error' && l.msg.includes('sink write failed')).length;
    const recovered = () => lines.filter((l) => l.level === 'info' && l.msg.includes('succeed again')).length;

    sink.failNext = 3;
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush(10_000)).toBe(true);
    expect([failed(), recovered()]).toEqual([1, 1]);

    q.enqueue([pair('r1', 'b')]); // a healthy write: nothing to say
    expect(await q.flush(10_000)).toBe(true);
    expect([failed(), recovered()]).toEqual([1, 1]);

    sink.failNext = 2; // a second episode
    q.enqueue([pair('r1', 'c')]);
    expect(await q.flush(10_000)).toBe(true);
    expect([failed(), recovered()]).toEqual([2, 2]);
    expect(sink.cues()).toEqual(['a', 'b', 'c']);
    expect(q.stats()).toMatchObject({ writtenPairs: 3, writeErrors: 5 });
  });
});
