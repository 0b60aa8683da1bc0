// The store's own disk full (a real, small tmpfs): LMDB's failed commits never become
// unhandled rejections, the pairs are kept (and counted), and land once space comes back.
// At exit on a full disk the sync path falls through to a spill file, else to stderr.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWorkload, startWorkload } from '../../faults/child.js';
import { auditCues, readCues } from '../../faults/audit.js';
import { silentLogger } from '../../src/log.js';
import type { QueueStats } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { smallFs } from '../helpers/small-fs.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the store on a full disk (real tmpfs, a real child process)', () => {
  // Checked: without the commit guard (lmdb-commit-guard.ts) the child dies of an unhandled
  // "Commit failed" rejection (exit 1, pairs lost); with lmdb's eventTurnBatching off
  // instead, lmdb's native code aborted (malloc(): invalid next size) in 3 of 4 runs.
  it('keeps every pair while LMDB, journal and spill dir are full, counts the errors, and lands them all once space is back', async () => {
    const fs = smallFs(16);
    cleanups.push(() => fs.unmount());
    const storePath = join(fs.dir, 'store');
    const N = 2000;
    const child = startWorkload({
      storePath,
      ending: 'settle',
      pairs: N,
      records: 5,
      batchPairs: 100,
      fillDisk: join(fs.dir, 'filler'),
      padBytes: 1000,
      // The default layout: journal and spill dir live in the store dir, on the same full disk.
      queue: { coalesceMs: 0, maxBatchPairs: 50, retryBaseMs: 5, retryMaxMs: 100, maxAttempts: 2, idlePollMs: 50 },
    });
    const full = JSON.parse((await child.waitForLine(/^disk full /)).slice('disk full '.length)) as QueueStats;
    expect(full.pendingPairs).toBeGreaterThan(0); // kept in memory: nowhere else to go
    expect(full.writtenPairs + full.pendingPairs + full.spilledPairs).toBeGreaterThanOrEqual(N);
    fs.free();
    const r = await child.done;
    expect({ code: r.code, signal: r.signal, timedOut: r.timedOut }).toEqual({ code: 0, signal: null, timedOut: false });
    expect(r.stderr).not.toMatch(/Unhandled|unhandled rejection/i);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as QueueStats;
    expect(last.writeErrors).toBeGreaterThan(0);
    expect(last.spillErrors).toBeGreaterThan(0);
    expect(last.pendingPairs).toBe(0);
    expect(auditCues(await readCues(storePath, 5), 'c', N)).toEqual({ durable: N, lost: 0, duplicated: 0, orderViolations: 0 });
  });
});

describe('exit on a full store disk (real child processes)', () => {
  // Checked: with saveSync's spill step removed (sync sink failure → stderr at once), the
  // spill dir is empty and this fails.
  it('the exit drain, its sync LMDB write failing, saves every pair to a spill file on another disk', async () => {
    const fs = smallFs(4);
    cleanups.push(() => fs.unmount());
    const storePath = join(fs.dir, 'store');
    const spillDir = join(tempDir(), 'spill');
    const N = 1500;
    const r = await runWorkload({
      storePath,
      ending: 'exit',
      pairs: N,
      records: 5,
      fillDisk: join(fs.dir, 'filler'),
      padBytes: 500,
      queue: { coalesceMs: 60_000, spillDir, durability: 'memory' },
    });
    expect(r.code).toBe(0);
    const lines = readdirSync(spillDir)
      .filter((n) => n.endsWith('.jsonl'))
      .flatMap((n) => readFileSync(join(spillDir, n), 'utf8').trim().split('\n'));
    expect(lines).toHaveLength(N);
    fs.free();
    // The next start reads them back into the store.
    const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
    const q = store.enableProvenanceQueue({ spillDir, durability: 'memory', idlePollMs: 50 });
    expect(await until(() => q.stats().respooledPairs === N, 30_000)).toBe(true);
    await store.close();
    expect(auditCues(await readCues(storePath, 5), 'c', N)).toEqual({ durable: N, lost: 0, duplicated: 0, orderViolations: 0 });
  });

  // Checked: with the stderr step skipped in saveSync, no line reaches stderr and this fails.
  it('with the spill dir on the same full disk, every pair reaches stderr as a spill line, and the exit code stays', async () => {
    const fs = smallFs(4);
    cleanups.push(() => fs.unmount());
    const N = 1500;
    const r = await runWorkload({
      storePath: join(fs.dir, 'store'),
      ending: 'exit',
      exitCode: 3,
      pairs: N,
      records: 5,
      fillDisk: join(fs.dir, 'filler'),
      padBytes: 500,
      queue: { coalesceMs: 60_000, durability: 'memory' },
    });
    expect(r.code).toBe(3);
    const cues = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{"recordId"'))
      .map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue);
    expect(new Set(cues).size).toBe(N);
    expect(cues).toHaveLength(N);
  });
});
