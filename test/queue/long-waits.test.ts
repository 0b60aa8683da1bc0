// A wait the caller asked for that is longer than setTimeout's limit (2^31 - 1 ms, ~24.8
// days) is held at the limit, not run after 1 ms as Node does with a longer delay. Before
// (breaker15): flush(2 ** 31) answered false at once; stop({ timeoutMs: 2 ** 31 }) saved every
// pair to a spill file instead of draining; with sinkTimeoutMs: 2 ** 31 every sink call
// "timed out" after 1 ms and was retried (one pair given to the sink 12 times in 5 s, none
// counted written).
// Checked: with timerMs() returning `ms` as it is (src/timer-ms.ts), each test fails
// (flush false; the pair spilled, not written; writeErrors and repeated sink calls); restored, they pass.
import { describe, expect, it, afterEach } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const LONG = 2 ** 31;
const queues: ProvenanceWriteQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop({ timeoutMs: 1000 });
});

function queueOn(sink: RecordingSink, opts: Partial<ConstructorParameters<typeof ProvenanceWriteQueue>[1]> = {}): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, exitHook: false, coalesceMs: 0, ...opts });
  q.start();
  queues.push(q);
  return q;
}

describe('a wait longer than setTimeout allows', () => {
  it('flush(2 ** 31) and flush({ timeoutMs: 2 ** 31 }) wait for the write and answer true', async () => {
    const sink = new RecordingSink();
    sink.delayMs = 200;
    const q = queueOn(sink);
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush(LONG)).toBe(true);
    q.enqueue([pair('r1', 'b')]);
    expect(await q.flush({ timeoutMs: LONG })).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b']);
  });

  it('stop({ timeoutMs: 2 ** 31 }) drains into the sink, spilling nothing', async () => {
    const sink = new RecordingSink();
    sink.delayMs = 200;
    const q = queueOn(sink);
    q.enqueue([pair('r1', 'a')]);
    await q.stop({ timeoutMs: LONG });
    expect(sink.cues()).toEqual(['a']);
    expect(q.stats()).toMatchObject({ writtenPairs: 1, spilledPairs: 0 });
  });

  it('sinkTimeoutMs: 2 ** 31 lets a slow sink call finish: written once, no error', async () => {
    const sink = new RecordingSink();
    sink.delayMs = 200;
    const q = queueOn(sink, { sinkTimeoutMs: LONG, retryBaseMs: 1, retryMaxMs: LONG });
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.calls).toHaveLength(1);
    expect(q.stats()).toMatchObject({ writtenPairs: 1, writeErrors: 0, spilledPairs: 0 });
  });
});
