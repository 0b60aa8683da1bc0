// A sink that misbehaves in ways a type checker cannot stop — it rejects with a value that
// cannot be printed, empties the array it is handed, answers with a malformed result, or
// flush() is given a signal that throws — must not stop delivery, lose pairs or make the
// queue's worker fail: every pair arrives once, in enqueue order per record, flush() says
// true, and the worker never needed its watchdog (stats().workerRestarts stays 0).
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What a call does instead of storing its pairs; `undefined` stores them. */
type Misdeed = ((pairs: ProvenancePair[]) => unknown) | undefined;

/** Stores what it is given, except that its first calls do what the script says. */
class ScriptedSink implements ProvenanceSink {
  readonly stored: ProvenancePair[] = [];
  constructor(private readonly script: Misdeed[]) {}
  appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    const misdeed = this.script.shift();
    if (misdeed) return misdeed(pairs) as Promise<void>; // what a JavaScript sink may return, typed or not
    for (const p of pairs) this.stored.push(structuredClone(p));
    return Promise.resolve();
  }
  /** Cues per record, in the order stored. */
  byRecord(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [r, e] of this.stored) (out[r] ??= []).push(e.cue);
    return out;
  }
  entryIds(): string[] {
    return this.stored.map(([, e]) => e.entryId as string);
  }
}

function startQueue(sink: ProvenanceSink): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, durability: 'memory', coalesceMs: 0, retryBaseMs: 5, retryMaxMs: 20 });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return q;
}

/** Two records, three pairs each, in three enqueue calls. */
function enqueueSix(q: ProvenanceWriteQueue): void {
  for (const n of [1, 2, 3]) q.enqueue([pair('ra', `a${n}`), pair('rb', `b${n}`)]);
}

const SIX = { ra: ['a1', 'a2', 'a3'], rb: ['b1', 'b2', 'b3'] };

/** Every pair once, in enqueue order per record; flush true; the worker never failed. */
async function expectDeliveredOnce(q: ProvenanceWriteQueue, sink: ScriptedSink): Promise<void> {
  expect(await q.flush(30_000)).toBe(true);
  expect(sink.byRecord()).toEqual(SIX);
  expect(new Set(sink.entryIds()).size).toBe(6);
  expect(q.stats()).toMatchObject({ writtenPairs: 6, pendingPairs: 0, workerRestarts: 0 });
}

describe('a sink that rejects with a value that cannot be printed', () => {
  // Checked: with errorFields' guard removed (String(err) as before), the first call's
  // error handling throws: without the watchdog this was an unhandled rejection and the
  // batch stayed "in flight" for ever (flush false); with it, workerRestarts is 1 and this fails.
  it.each([
    ['an object without a prototype', () => Object.create(null) as unknown],
    ['a revoked Proxy', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }],
    ['an object whose toString throws', () => ({ toString: () => { throw new Error('no'); } })],
  ])('%s: retried, every pair delivered once in order, the value handed to writeError as is', async (_what, make) => {
    const thrown = make();
    const sink = new ScriptedSink([() => Promise.reject(thrown), () => { throw thrown; }]);
    const q = startQueue(sink);
    const seen: unknown[] = [];
    q.on('writeError', (e) => seen.push(e.error));
    enqueueSix(q);
    await expectDeliveredOnce(q, sink);
    expect(seen.length).toBe(2);
    expect(seen.every((e) => e === thrown)).toBe(true);
  });
});

describe('a sink that empties or reorders the array it is handed', () => {
  // Checked: with the sink given the queue's own array (no slice() in SinkDelivery.call),
  // the retry sends an empty batch, the six pairs are never stored, and flush() still said
  // true (they were counted as done): sink.byRecord() is {} and this fails.
  it('splice()d to take ownership, then the call fails: the retry still carries every pair', async () => {
    const sink = new ScriptedSink([
      (pairs) => {
        pairs.splice(0, pairs.length);
        return Promise.reject(new Error('lost the connection after taking the batch'));
      },
    ]);
    const q = startQueue(sink);
    enqueueSix(q);
    await expectDeliveredOnce(q, sink);
  });

  // Checked: without the slice(), the retry gets the reversed list and rb's history reads b3, b2, b1.
  it('reversed in place, then the call fails: the retry keeps enqueue order', async () => {
    const sink = new ScriptedSink([
      (pairs) => {
        pairs.reverse();
        throw new Error('sorted, then failed');
      },
    ]);
    const q = startQueue(sink);
    q.enqueue([pair('ra', 'a1'), pair('rb', 'b1'), pair('ra', 'a2'), pair('rb', 'b2'), pair('ra', 'a3'), pair('rb', 'b3')]);
    await expectDeliveredOnce(q, sink);
  });
});

describe('a sink that answers with a malformed result', () => {
  // Checked: with readSinkResult taking a non-array unknownRecords as "none" (or as its
  // length), the call that stored nothing counts as written: sink.byRecord() is {} (or only
  // part), flush() is true anyway, and this fails.
  it.each([
    ['a string', 'ra'],
    ['a number', 3],
    ['an object', { length: 0 }],
  ])('unknownRecords as %s: the call counts as failed (PROVQ_SINK_RESULT) and is retried', async (_what, bad) => {
    const sink = new ScriptedSink([() => Promise.resolve({ unknownRecords: bad })]);
    const q = startQueue(sink);
    const codes: unknown[] = [];
    q.on('writeError', (e) => codes.push((e.error as { code?: unknown }).code));
    enqueueSix(q);
    await expectDeliveredOnce(q, sink);
    expect(codes).toEqual(['PROVQ_SINK_RESULT']);
  });
});

describe("flush()'s signal", () => {
  // Checked: without assertWorkingSignal, flush() returns a promise rejected with a bare
  // TypeError and its waiter stays registered: when the pairs land, settling it throws
  // inside the worker (which then stopped for good; with the watchdog, workerRestarts > 0).
  it('one that only has the prototype of an AbortSignal is refused with PROVQ_INVALID_OPTIONS naming signal; delivery goes on', async () => {
    const sink = new ScriptedSink([]);
    const q = startQueue(sink);
    enqueueSix(q);
    const fake = Object.create(AbortSignal.prototype) as AbortSignal;
    expect(() => q.flush({ timeoutMs: 30_000, signal: fake })).toThrow(InvalidOptionsError);
    expect(() => q.flush({ timeoutMs: 30_000, signal: fake })).toThrow(/signal must be a working AbortSignal/);
    await expectDeliveredOnce(q, sink);
  });

  // Checked: with settle() calling removeEventListener unguarded (before resolving, as
  // before), the flush never resolves true and the worker fails as the pairs land.
  it('one whose removeEventListener throws by the time the pairs land: flush resolves true, the worker goes on', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = new ScriptedSink([async (pairs) => {
      await gate;
      sink.stored.push(...pairs.map((p) => structuredClone(p)));
    }]);
    const q = startQueue(sink);
    enqueueSix(q);
    const signal = new AbortController().signal;
    const flushed = q.flush({ timeoutMs: 30_000, signal });
    signal.removeEventListener = () => {
      throw new Error('a signal changed after flush() was called');
    };
    release();
    expect(await flushed).toBe(true);
    await expectDeliveredOnce(q, sink);
  });
});
