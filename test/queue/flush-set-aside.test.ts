// flush() is true only when everything enqueued is durable in the sink. A spill file of the
// queue's own that is quarantined when read back (someone made it group-writable: a
// `chmod -R`, a restore from backup; or its bytes went bad) holds pairs that are in no sink:
// flush() must not say they are. Before, it resolved true with 0 of 10 pairs in the sink
// (found 2026-11-30). Checked: fails with QueueProgress's notInSinkSeq left at Infinity.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const queues: ProvenanceWriteQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop({ timeoutMs: 2000 });
});

describe('flush() after a spill file of the queue’s own was quarantined', () => {
  it('resolves false: those pairs are not in the sink', async () => {
    const sink = new RecordingSink();
    sink.failNext = 1_000_000; // down: the pairs go to a spill file
    const spillDir = join(tempDir(), 'spill');
    const q = new ProvenanceWriteQueue(sink, { spillDir, retryBaseMs: 1, retryMaxMs: 5, idlePollMs: 20, exitHook: false, logger: silentLogger });
    queues.push(q);
    // Made group-writable as it is written (a listener runs before the worker goes on), so
    // no read-back can have read it while still trusted: one that had would rightly write
    // those pairs (it failed 2 runs in 6 that way when the chmod came after polling stats).
    const own: string[] = [];
    const quarantined: string[] = [];
    q.on('quarantined', ({ file }) => quarantined.push(file));
    q.on('spilled', ({ file }) => {
      own.push(file);
      chmodSync(join(spillDir, file), 0o666);
    });
    q.start();
    for (let i = 0; i < 10; i++) q.enqueue([pair('r1', `c${i}`)]);
    expect(await until(() => q.stats().spilledFiles > 0, 30_000)).toBe(true);
    expect(own).toHaveLength(1);
    sink.failNext = 0; // back: read-back finds the file untrusted and quarantines it

    expect(await until(() => quarantined.length > 0, 30_000)).toBe(true);
    expect(quarantined).toEqual(own);
    expect(await q.flush(2000)).toBe(false); // before: true at once
    expect(sink.pairs).toHaveLength(0);

    // Pairs enqueued later do land; flush stays false while the quarantined ones are missing.
    q.enqueue([pair('r1', 'later')]);
    expect(await q.flush(2000)).toBe(false);
    expect(sink.cues()).toEqual(['later']);
  });
});
