// A sink's declaration (its methods, maxConcurrentWrites, sinkId) is checked when the queue
// is made: a wrong one is refused there with PROVQ_INVALID_OPTIONS and a message naming the
// field, instead of a queue that starts and then never writes (maxConcurrentWrites NaN: no
// call was ever started, flush() only timed out) or a bare TypeError from a getter.
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const make = (sink: unknown) => new ProvenanceWriteQueue(sink as ProvenanceSink, { spillDir: tempDir(), logger: silentLogger, durability: 'memory' });

function refusal(sink: unknown): InvalidOptionsError {
  try {
    make(sink);
  } catch (err) {
    return err as InvalidOptionsError;
  }
  throw new Error('the queue was made');
}

const write = { appendProvenanceBatch: async () => {} };
const throwing = (field: string) =>
  Object.defineProperty({ ...write }, field, {
    get() {
      throw new Error(`${field} is not ready`);
    },
  });

describe('the sink declaration', () => {
  // Checked: with readSinkDeclaration's maxConcurrentWrites and sinkId checks removed (the
  // old Math.max(1, Math.floor(…)) read in queue-parts), NaN, '4', 2.5 and Infinity are
  // taken (NaN: the queue starts and never calls the sink), 0 and -1 quietly become 1,
  // and each row fails; with the reads not wrapped, a throwing getter surfaces as a bare
  // Error without a code and the getter rows fail.
  it.each([
    ['maxConcurrentWrites NaN', { ...write, maxConcurrentWrites: Number.NaN }, /sink\.maxConcurrentWrites must be an integer from 1 .*got a number \(NaN\)/],
    ['maxConcurrentWrites 0', { ...write, maxConcurrentWrites: 0 }, /sink\.maxConcurrentWrites .*got a number \(0\)/],
    ['maxConcurrentWrites -1', { ...write, maxConcurrentWrites: -1 }, /sink\.maxConcurrentWrites .*got a number \(-1\)/],
    ['maxConcurrentWrites 2.5', { ...write, maxConcurrentWrites: 2.5 }, /sink\.maxConcurrentWrites .*got a number \(2\.5\)/],
    ['maxConcurrentWrites Infinity', { ...write, maxConcurrentWrites: Infinity }, /sink\.maxConcurrentWrites .*got a number \(Infinity\)/],
    ['maxConcurrentWrites "4"', { ...write, maxConcurrentWrites: '4' }, /sink\.maxConcurrentWrites .*got a string \("4"\)/],
    ['a maxConcurrentWrites getter that throws', throwing('maxConcurrentWrites'), /reading sink\.maxConcurrentWrites threw \(maxConcurrentWrites is not ready\)/],
    ['sinkId 7', { ...write, sinkId: 7 }, /sink\.sinkId must be a non-empty string.*got a number \(7\)/],
    ['sinkId ""', { ...write, sinkId: '' }, /sink\.sinkId must be a non-empty string/],
    ['a sinkId getter that throws', throwing('sinkId'), /reading sink\.sinkId threw/],
    ['appendProvenanceBatchSync true', { ...write, appendProvenanceBatchSync: true }, /sink\.appendProvenanceBatchSync must be a method .*got a boolean \(true\)/],
    ['an appendProvenanceBatch getter that throws', throwing('appendProvenanceBatch'), /reading sink\.appendProvenanceBatch threw/],
    ['no appendProvenanceBatch', {}, /sink must have an appendProvenanceBatch\(pairs\) method/],
    ['null', null, /sink must be an object .*got null/],
  ])('%s is refused with PROVQ_INVALID_OPTIONS naming the field', (_what, sink, message) => {
    const err = refusal(sink);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(err.code).toBe('PROVQ_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });

  it('a getter that throws is kept as the cause', () => {
    expect(refusal(throwing('maxConcurrentWrites')).cause).toMatchObject({ message: 'maxConcurrentWrites is not ready' });
  });

  // Checked: with the upper bound at 64 (FRESH_CALLS_MAX), the store's 256 is refused and this fails.
  it('a declaration in range is taken: calls in flight up to what the sink declares', async () => {
    const sink = new (class extends RecordingSink {
      readonly maxConcurrentWrites = 256;
      readonly sinkId = 'declared-sink';
    })();
    sink.hold();
    const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, durability: 'memory', coalesceMs: 0, maxBatchPairs: 1 });
    q.start();
    for (let i = 0; i < 3; i++) q.enqueue([pair('r1', `c${i}`)]);
    const flushed = q.flush(30_000);
    expect(await until(() => sink.inFlight === 3, 30_000)).toBe(true);
    sink.release();
    expect(await flushed).toBe(true);
    expect(sink.maxInFlight).toBeGreaterThan(1);
    expect(sink.cues()).toEqual(['c0', 'c1', 'c2']);
    await q.stop();
  });
});
