// Spill files waiting while ANOTHER process holds the spill dir's read-back lease (a second
// app on the store, `provq spill replay`): this queue leaves those files to it, and goes on
// delivering its own fresh pairs meanwhile; once the lease is gone it reads the files back.
//
// Checked (session 11, read-back.ts survivor of the queue run: `if (!claims) return false`
// made `if (false)`, applied by hand, this file run, the source restored): the round went on
// without claims and threw, the worker stopped ("provenance worker stopped unexpectedly"),
// and the fresh pair never reached the sink — the first flush expectation failed.
import { mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('spill files while another process holds the read-back lease', () => {
  it('are left to it while fresh pairs are still delivered, and read back once the lease is gone', { timeout: 60_000 }, async () => {
    const dir = join(tempDir(), 'spill');
    await writeQueueSpillFile(dir, 'r1', ['s0', 's1', 's2']);
    // The other process's lease, refreshed every 500 ms as a live holder's is.
    const lease = join(dir, 'read-back.lock');
    mkdirSync(lease);
    const refresh = setInterval(() => utimesSync(lease, new Date(), new Date()), 500);
    cleanups.push(() => clearInterval(refresh));

    const sink = new RecordingSink();
    const q = new ProvenanceWriteQueue(sink, { spillDir: dir, logger: silentLogger, durability: 'memory', idlePollMs: 20, exitHook: false });
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    q.start();
    expect(await until(() => sink.calls.length > 0, 1500)).toBe(false); // a window: the files stay the other's
    q.enqueue([pair('r1', 'fresh')]);
    expect(await q.flush(30_000)).toBe(true);
    expect(sink.cues()).toEqual(['fresh']);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toHaveLength(1);

    clearInterval(refresh);
    rmSync(lease, { recursive: true }); // the other process is done
    expect(await until(() => sink.cues().length === 4, 30_000)).toBe(true);
    expect(sink.cues()).toEqual(['fresh', 's0', 's1', 's2']);
  });
});
