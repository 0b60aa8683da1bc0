// 'idle' says the queue has nothing left to do — not that every pair is in the sink. Pairs
// set aside (a spill file of its own quarantined on read-back) wait for an operator, so
// 'idle' comes after 'quarantined' while flush() stays false (docs/configuration.md, "What
// 'idle' means"). Checked: with QueueProgress counting a set-aside sequence as busy
// (`|| this.notInSinkSeq < Infinity` in changed()), 'idle' never comes and this fails.
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

describe("'idle' with pairs set aside", () => {
  it("comes once a spill file of the queue's own is quarantined, while flush() resolves false", async () => {
    const sink = new RecordingSink();
    sink.failNext = 1_000_000; // down: the pairs go to a spill file
    const spillDir = join(tempDir(), 'spill');
    const q = new ProvenanceWriteQueue(sink, { spillDir, retryBaseMs: 1, retryMaxMs: 5, idlePollMs: 20, exitHook: false, logger: silentLogger });
    queues.push(q);
    const events: string[] = [];
    q.on('quarantined', () => events.push('quarantined'));
    q.on('idle', () => events.push('idle'));
    // Untrusted (group-writable) as it is written, before any read-back can see it.
    q.on('spilled', ({ file }) => chmodSync(join(spillDir, file), 0o666));
    q.start();
    for (let i = 0; i < 10; i++) q.enqueue([pair('r1', `c${i}`)]);
    expect(await until(() => q.stats().spilledFiles > 0, 30_000)).toBe(true);
    sink.failNext = 0; // back: read-back quarantines the file

    expect(await until(() => events.includes('quarantined') && events.lastIndexOf('idle') > events.indexOf('quarantined'), 30_000)).toBe(true);
    expect(q.stats().pendingPairs).toBe(0);
    expect(await q.flush(500)).toBe(false);
    expect(sink.pairs).toHaveLength(0);
  });
});
