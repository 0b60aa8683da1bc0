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

/** A sink whose calls wait until the test settles them: the test sees each call start. */
class HandSettledSink implements ProvenanceSink {
  started = 0;
  private readonly waiting: { resolve(): void; reject(err: Error): void }[] = [];
  appendProvenanceBatch(): Promise<void> {
    this.started++;
    return new Promise((resolve, reject) => void this.waiting.push({ resolve, reject }));
  }
  settleNext(err?: Error): void {
    const call = this.waiting.shift()!;
    if (err) call.reject(err);
    else call.resolve();
  }
}

/** One turn of the event loop: every microtask of a call that just settled has run. */
const nextTurn = () => new Promise((r) => setImmediate(r));

function startQueue(sink: ProvenanceSink, opts: object): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, durability: 'memory', coalesceMs: 0, ...opts });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return q;
}

function recordingLogger(): { logger: Logger; lines: { level: string; fields: object; msg: string }[] } {
  const lines: { level: string; fields: object; msg: string }[] = [];
  const at = (level: string) => (fields: object, msg: string) => void lines.push({ level, fields, msg });
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
  // episode logs three and this fails; with either line's fields emptied (`{}`), this fails.
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
    // What an operator needs from the two lines: how many pairs, what failed, after how many errors.
    expect(lines.find((l) => l.level === 'error')!.fields).toMatchObject({ pairs: 1, err: { message: 'injected sink failure' } });
    expect(lines.find((l) => l.level === 'info')!.fields).toEqual({ afterErrors: 3 });

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

  // Checked: with the last attempt's warning given no fields (`{}`) or no message (`""`),
  // this fails.
  it('a sink that keeps failing: the warning at the last attempt names the pairs, the attempts and the error, and says where the pairs go', async () => {
    const sink = new RecordingSink();
    const { logger, lines } = recordingLogger();
    const q = startQueue(sink, { logger, maxAttempts: 2, retryBaseMs: 5, retryMaxMs: 10, idlePollMs: 20 });
    sink.failNext = 2;
    q.enqueue([pair('r1', 'a'), pair('r1', 'b'), pair('r1', 'c')]);
    expect(await q.flush(10_000)).toBe(true);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/sink still failing; pairs go to the spill directory/);
    expect(warnings[0]!.fields).toMatchObject({ pairs: 3, attempts: 2, err: { message: 'injected sink failure' } });
  });

  // Checked: with `if (this.hooks.halted()) return { ok: true, result }` made false, the late
  // success counts 2 pairs written that stop() already counted spilled, and this fails; with
  // the catch's `if (this.hooks.halted()) return { ok: false }` made false, the late failure
  // counts a write error and tells 'writeError' after stop() returned, and this fails.
  it.each([
    ['succeeds', undefined],
    ['fails', new Error('late failure')],
  ])('a sink call that %s after stop()’s deadline saved its pairs changes no counter and tells nothing: stats are final once stop() returns', async (_, lateError) => {
    const sink = new HandSettledSink();
    const q = startQueue(sink, { retryBaseMs: 5, retryMaxMs: 10 });
    const errors: unknown[] = [];
    q.on('writeError', (e) => errors.push(e.error));
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    expect(await until(() => sink.started === 1, 30_000)).toBe(true);
    await q.stop({ timeoutMs: 50 }); // the call hangs: the deadline spills both pairs
    const atStop = q.stats();
    expect(atStop).toMatchObject({ enqueuedPairs: 2, spilledPairs: 2, writtenPairs: 0, writeErrors: 0, pendingPairs: 0 });
    sink.settleNext(lateError);
    await nextTurn();
    expect(q.stats()).toEqual(atStop);
    expect(errors).toEqual([]);
  });

  // Checked: with the `if (this.hooks.halted()) return { ok: false }` after the backoff sleep
  // made false, the batch is tried again after stop() returned (a second sink call) and this
  // fails.
  it('a batch waiting to be retried when stop()’s deadline saves it is not sent to the sink again', async () => {
    const sink = new HandSettledSink();
    // The first retry waits 100-200 ms: the deadline (30 ms) comes while the batch waits.
    const q = startQueue(sink, { retryBaseMs: 200, retryMaxMs: 200 });
    // stop() is called from the 'writeError' listener, which runs before the backoff starts:
    // its deadline comes while the batch waits. (Was called after polling for the error: a
    // poll that came back more than 100 ms late at load found the retry already in flight.)
    let stopped: Promise<void> | undefined;
    q.on('writeError', () => void (stopped ??= q.stop({ timeoutMs: 30 })));
    q.enqueue([pair('r1', 'a')]);
    expect(await until(() => sink.started === 1, 30_000)).toBe(true);
    sink.settleNext(new Error('down'));
    expect(await until(() => stopped !== undefined, 30_000)).toBe(true);
    await stopped;
    expect(q.stats()).toMatchObject({ spilledPairs: 1, writtenPairs: 0, pendingPairs: 0 });
    // Absence can only be shown by waiting: 1 s is five times the longest backoff.
    expect(await until(() => sink.started > 1, 1000)).toBe(false);
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
    expect(await until(() => sink.calls.length === 1, 30_000)).toBe(true);
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

  // Checked: with `if (!limit) return call` made false, a limit of 0 gives up every call at
  // once (writeErrors > 0, the pairs spilled) and this fails.
  it('sinkTimeoutMs: 0 waits for ever: a slow sink call is not given up', async () => {
    const sink = new RecordingSink();
    sink.delayMs = 100;
    const q = startQueue(sink, { sinkTimeoutMs: 0, retryBaseMs: 5, retryMaxMs: 10 });
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(q.stats()).toMatchObject({ writtenPairs: 1, writeErrors: 0, spilledPairs: 0 });
  });

  // Checked: with breakerOpen always false, the pair enqueued after the failed batch goes to
  // the (now healthy) sink at once, is never spilled, and this fails.
  // 'b' is enqueued from the 'spilled' listener of 'a' (synchronous, the breaker opened just
  // before that spill), and the breaker stays open 4-8 s. (Was: enqueued after polling for
  // the spill, with the breaker open 1-2 s: a poll that came back late at load found it
  // closed, 'b' went to the sink and the wait for its spill failed.)
  it('after a batch has used up its attempts the sink is left alone for a while: newer pairs go to the spill dir, and all come back once', async () => {
    const sink = new RecordingSink();
    const q = startQueue(sink, { maxAttempts: 1, retryBaseMs: 2000, retryMaxMs: 8000, idlePollMs: 20 });
    const spilled: string[] = [];
    q.on('spilled', (e) => {
      spilled.push(e.file);
      if (spilled.length === 1) q.enqueue([pair('r1', 'b')]); // the breaker is open (4 x retryBaseMs, jitter): the sink is not tried
    });
    sink.failNext = 1;
    q.enqueue([pair('r1', 'a')]);
    expect(await until(() => spilled.length === 2, 30_000)).toBe(true);
    expect(sink.calls).toHaveLength(0);
    expect(await q.flush(30_000)).toBe(true);
    expect(sink.cues().sort()).toEqual(['a', 'b']);
    expect(q.stats()).toMatchObject({ writtenPairs: 2, respooledPairs: 2 });
  });

  // Checked: with the catch around the sink call emptied (a synchronous throw never rejects
  // the call), flush resolves false: the call holds the only slot and is never retried.
  it('a sink that throws synchronously (not a rejected promise) is retried like any failed call', async () => {
    let throwNext = true;
    const written: string[] = [];
    const sink: ProvenanceSink = {
      appendProvenanceBatch(pairs) {
        if (throwNext) {
          throwNext = false;
          throw new Error('thrown, not rejected');
        }
        written.push(...pairs.map(([, e]) => e.cue));
      },
    };
    const q = startQueue(sink, { sinkTimeoutMs: 0, retryBaseMs: 5, retryMaxMs: 10 });
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush(5000)).toBe(true);
    expect(written).toEqual(['a']);
    expect(q.stats()).toMatchObject({ writtenPairs: 1, writeErrors: 1 });
  });
});
