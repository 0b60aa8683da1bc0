// A spill file of the queue's own whose read-back call failed is read back alone next time
// (read-back.ts `apply`). When that file's claim cannot be taken — the filesystem went
// read-only, an I/O error — the file is still the queue's, still unsent: flush() must not call
// its pairs durable, and it is applied once the filesystem is writable again. A real tmpfs,
// remounted read-only (we are root).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
/** Mounts are undone here too, in case an afterEach step hung past its timeout. */
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
});

describe('an own spill file read back alone, whose claim fails', () => {
  // Checked (session 12: read-back.ts `apply`, the catch around the claim, `return 'failed'` →
  // `return ""` — StrykerJS's string mutant — applied by hand): the failed claim was taken as
  // the file done, flush() resolved true with 'own' in no sink, and this fails at that expect
  // (1 of 1). Restored, it passes. Two survivors of the run (its sandbox predates this test)
  // fail it the same way: `roundIn`'s `outcome === 'busy' || outcome === 'failed'` with the
  // second half made false, or `'failed'` → `""` there (each 1 of 1). The debug line when the lease cannot be taken: its fields
  // `{}` or its message `""` (StrykerJS survivors) fail the `toContain` (each 1 of 1).
  it('is not reported durable while it cannot be claimed, and is applied once the filesystem is writable', { timeout: 120_000 }, async () => {
    const mnt = tempDir('provq-roalone-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    mounts.push(mnt);
    cleanups.push(() => spawnSync('umount', ['-l', mnt]));
    const dir = join(mnt, 'spill');
    mkdirSync(dir, { mode: 0o700 });
    const setReadOnly = (ro: boolean) => execFileSync('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, mnt]);
    cleanups.push(() => spawnSync('mount', ['-o', 'remount,rw', mnt])); // before the queue stops

    // The sink fails every call until told otherwise, counting the calls that carried 'own'.
    const recorded = new RecordingSink();
    let failing = true;
    let ownCalls = 0;
    const sink = {
      appendProvenanceBatch: async (pairs: ProvenancePair[]) => {
        if (pairs.some(([, e]) => e.cue === 'own')) ownCalls++;
        if (failing) throw new Error('injected: sink down');
        await recorded.appendProvenanceBatch(pairs);
      },
    };
    const failures: string[] = [];
    const debug: string[] = [];
    const logger = {
      ...silentLogger,
      error: (f: { file?: string }, msg: string) => failures.push(`${f.file}: ${msg}`),
      debug: (f: { dir?: string }, msg: string) => debug.push(`${f.dir}: ${msg}`),
    };
    const q = new ProvenanceWriteQueue(sink, {
      spillDir: dir, durability: 'memory', maxAttempts: 1, retryBaseMs: 20, retryMaxMs: 200, idlePollMs: 50, logger,
    });
    q.start();
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));

    q.enqueue([pair('r1', 'own')]);
    expect(await until(() => q.stats().spilledPairs === 1, 30_000)).toBe(true);
    const own = readdirSync(dir).find((n) => n.endsWith('.jsonl'))!;
    // A read-back call with 'own' failed too (the first call was the fresh one): the file is
    // now one to read back alone.
    expect(await until(() => ownCalls >= 2, 30_000)).toBe(true);
    setReadOnly(true);
    failing = false;

    // Its claim fails (EROFS), said in the log; the pair is in no sink, and flush() says so.
    expect(await until(() => failures.some((f) => f.startsWith(`${own}: cannot read back`)), 30_000)).toBe(true);
    expect(await q.flush(500)).toBe(false);
    expect(recorded.cues()).toEqual([]);
    // The read-back lease could not be taken either: said at debug level, naming the directory.
    expect(debug).toContain(`${dir}: read-back lease not taken; claiming files one by one`);

    setReadOnly(false);
    expect(await until(() => recorded.cues().includes('own'), 30_000)).toBe(true);
    expect(await q.flush(30_000)).toBe(true);
    expect(recorded.cues()).toEqual(['own']);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
  });
});
