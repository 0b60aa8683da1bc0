// Delivery to the sink as its owner sees it: a call that never settles is given up and
// retried, a failing sink is logged once per episode, and its recovery is logged too.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from '../../src/sink.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

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

/** Records the context of every call; pairs for record 'ghost' are reported as unknown records. */
class ContextSink implements ProvenanceSink {
  readonly recorded = new RecordingSink();
  readonly contexts: (SinkWriteContext | undefined)[] = [];
  get calls(): ProvenancePair[][] {
    return this.recorded.calls;
  }
  get pairs(): ProvenancePair[] {
    return this.recorded.pairs;
  }
  cues(): string[] {
    return this.recorded.cues();
  }
  async appendProvenanceBatch(pairs: ProvenancePair[], context?: SinkWriteContext): Promise<SinkWriteResult> {
    this.contexts.push(context);
    await this.recorded.appendProvenanceBatch(pairs.filter(([r]) => r !== 'ghost'));
    const unknownRecords = pairs.filter(([r]) => r === 'ghost');
    return unknownRecords.length > 0 ? { unknownRecords } : {};
  }
}

function startQueue(sink: ProvenanceSink, opts: object): ProvenanceWriteQueue {
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

  // Checked: with `attempt >= maxAttempts` made `attempt > maxAttempts`, a fourth attempt
  // succeeds, nothing is spilled and this fails.
  it('a sink that keeps failing is tried maxAttempts times, then the batch is spilled, and read back once the sink works', async () => {
    const sink = new RecordingSink();
    const q = startQueue(sink, { maxAttempts: 3, retryBaseMs: 5, retryMaxMs: 10, idlePollMs: 20 });
    const attempts: number[] = [];
    const spilled: number[] = [];
    q.on('writeError', (e) => attempts.push(e.attempt));
    q.on('spilled', (e) => spilled.push(e.pairs));
    sink.failNext = 3;
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(attempts).toEqual([1, 2, 3]);
    expect(spilled).toEqual([2]);
    expect(sink.cues()).toEqual(['a', 'b']);
    expect(q.stats()).toMatchObject({ writtenPairs: 2, respooledPairs: 2, writeErrors: 3, pendingPairs: 0 });
  });

  // Checked: with `written = pairs.length - unknown` made `pairs.length` (or `+ unknown`, or
  // the `?? 0` default made `?? 1`), writtenPairs is 3 (or 4, or 1) and this fails.
  it('pairs the sink reports as unknown records are not counted as written', async () => {
    const sink = new ContextSink();
    const q = startQueue(sink, {});
    q.enqueue([pair('r1', 'a'), pair('ghost', 'lost'), pair('r2', 'b')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b']);
    expect(q.stats().writtenPairs).toBe(2);
    q.enqueue([pair('r1', 'c')]); // a result without unknownRecords counts every pair
    expect(await q.flush(10_000)).toBe(true);
    expect(q.stats().writtenPairs).toBe(3);
  });

  // Checked: with the context always FRESH_VALIDATED (the `replayed ?` test made false), the
  // read-back call says replayed: false and respooledPairs stays 0; with `inputIds ?` made
  // false, the call with a caller's own entryId lacks inputIds: true; with `if (replayed)`
  // made true, the fresh pair counts as read back.
  it('a sink is told which pairs were read back from a file and which carry ids of their own; only read-back pairs count as read back', async () => {
    const spillDir = tempDir();
    await writeQueueSpillFile(spillDir, 'r1', ['old1', 'old2']);
    const sink = new ContextSink();
    const q = startQueue(sink, { spillDir, idlePollMs: 20 });
    expect(await until(() => sink.calls.length === 1, 10_000)).toBe(true);
    expect(sink.contexts[0]).toMatchObject({ replayed: true, validated: true });
    expect(q.stats()).toMatchObject({ respooledPairs: 2, writtenPairs: 2 });

    q.enqueue([pair('r1', 'fresh')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.contexts[1]).toEqual({ replayed: false, validated: true });

    const [, own] = sink.pairs[0]!; // an entry read back from a store keeps its id
    q.enqueue([pair('r2', 'copied', { entryId: own.entryId })]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.contexts[2]).toMatchObject({ replayed: false, inputIds: true });
    expect(sink.cues()).toEqual(['old1', 'old2', 'fresh', 'copied']);
    expect(q.stats()).toMatchObject({ respooledPairs: 2, writtenPairs: 4 });
  });
});
