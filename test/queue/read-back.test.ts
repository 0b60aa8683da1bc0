// Read-back as a sink sees it: oldest file first, another sink's directory refused, pairs of
// records the sink does not know set aside (never deleted), and a file that fails for a
// passing reason (a read-only remount) tried again rather than parked for ever.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SpillDirOwnedError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
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

function startQueue(sink: ProvenanceSink, spillDir: string, opts: object = {}): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', ...opts });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return q;
}

async function openStore(): Promise<LmdbMemoryStore> {
  const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
  cleanups.push(() => store.close({ timeoutMs: 2000 }));
  return store;
}

describe('read-back', () => {
  // Checked: with listSpillDir sorting newest first, the sink sees c, b, a and this fails.
  // A recording sink keeps arrival order (LMDB would re-sort by key and hide it).
  it('reads spill files back oldest first, by name, whatever order they were written in', async () => {
    const dir = tempDir();
    writeRawFile(dir, '0000000000003-000001-1.jsonl', `${handLine('r1', 'c')}\n`);
    writeRawFile(dir, '0000000000001-000001-1.jsonl', `${handLine('r1', 'a')}\n`);
    writeRawFile(dir, '0000000000002-000001-1.jsonl', `${handLine('r1', 'b')}\n`);
    const sink = new RecordingSink();
    startQueue(sink, dir);
    expect(await until(() => sink.pairs.length === 3, 30_000)).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b', 'c']);
  });

  it('refuses a spill directory that belongs to another store, naming both, and leaves its files alone', async () => {
    const a = await openStore();
    const b = await openStore();
    const shared = join(tempDir(), 'shared-spill');
    const qa = a.enableProvenanceQueue({ spillDir: shared, durability: 'memory' });
    await a.insert({ id: 'ra', text: 'only in a' });
    // A down sink: A's pairs go to the shared spill dir.
    a.appendProvenanceBatch = async () => {
      throw new Error('a is down');
    };
    qa.enqueue(Array.from({ length: 50 }, (_, i) => pair('ra', `a${i}`)));
    expect(await until(() => qa.stats().spilledPairs === 50, 30_000)).toBe(true);
    const before = readdirSync(shared).filter((n) => n.endsWith('.jsonl'));
    expect(before.length).toBeGreaterThan(0);
    let refused: unknown;
    try {
      b.enableProvenanceQueue({ spillDir: shared, durability: 'memory' });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(SpillDirOwnedError);
    expect((refused as Error).message).toContain(a.sinkId);
    expect((refused as Error).message).toContain(b.sinkId);
    expect(readdirSync(shared).filter((n) => n.endsWith('.jsonl'))).toEqual(before);
  });

  // Checked: with unknownRecords ignored in replay.ts, the file is deleted and the pair is gone.
  it('sets aside pairs for records the sink does not know, with the reason, and applies the rest', async () => {
    const store = await openStore();
    await store.insert({ id: 'known', text: 'a known record' });
    const spillDir = join(store.path, 'provenance-overflow');
    writeRawFile(spillDir, 'hand.jsonl', `${handLine('known', 'k1')}\n${handLine('ghost', 'g1')}\n`);
    const q = store.enableProvenanceQueue({ durability: 'memory' });
    const setAside = () => readdirSync(spillDir).filter((n) => /unknown-records\.failed-\d+\.jsonl$/.test(n));
    const reasonFile = () => readdirSync(spillDir).filter((n) => n.endsWith('.reason.json'));
    expect(await until(() => setAside().length === 1 && reasonFile().length === 1, 30_000)).toBe(true);
    const lines = readFileSync(join(spillDir, setAside()[0]!), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { recordId: string }).recordId)).toEqual(['ghost']);
    const reason = JSON.parse(readFileSync(join(spillDir, `${setAside()[0]}.reason.json`), 'utf8')) as { reason: string };
    expect(reason.reason).toMatch(/ghost/);
    expect((await store.get('known'))!.provenance.map((e) => e.cue)).toEqual(['k1']);
    // The count follows the files (it is taken once the source file is gone): await it.
    expect(await until(() => q.stats().quarantinedFiles === 1, 30_000)).toBe(true);
  });
});

describe('read-back on a filesystem that goes read-only (real tmpfs, remounted)', () => {
  function readOnlySpillDir(): { dir: string; setReadOnly(ro: boolean): void } {
    const mnt = tempDir('provq-ro-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    mounts.push(mnt);
    cleanups.push(() => spawnSync('umount', ['-l', mnt]));
    const dir = join(mnt, 'spill');
    mkdirSync(dir, { mode: 0o700 });
    writeRawFile(dir, 'hand.jsonl', `${handLine('r1', 'x')}\n`);
    return { dir, setReadOnly: (ro) => execFileSync('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, mnt]) };
  }

  // Checked: with a failed file parked for ever (no retry), 'x' never reaches the sink.
  it('tries a file it could not claim again, and applies it once the filesystem is writable', async () => {
    const { dir, setReadOnly } = readOnlySpillDir();
    setReadOnly(true);
    const failures: string[] = [];
    const logger = { ...silentLogger, error: (f: { file?: string }, msg: string) => failures.push(`${f.file}: ${msg}`) };
    const sink = new RecordingSink();
    startQueue(sink, dir, { retryBaseMs: 20, retryMaxMs: 200, idlePollMs: 50, logger });
    expect(await until(() => failures.some((f) => f.startsWith('hand.jsonl')), 30_000)).toBe(true);
    expect(sink.cues()).toEqual([]);
    setReadOnly(false);
    expect(await until(() => sink.cues().includes('x'), 30_000)).toBe(true);
    expect(await until(() => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).length === 0, 30_000)).toBe(true);
  });

  // Checked: with the stop deadline removed (stopOnce awaiting the worker alone), this times out.
  it("stop() returns by its deadline while one of its own spill files cannot be finished, and the file stays", async () => {
    const { dir, setReadOnly } = readOnlySpillDir();
    const sink = new RecordingSink();
    sink.failNext = 1_000_000; // down: the pair goes to a spill file of the queue's own
    const failures: string[] = [];
    const logger = { ...silentLogger, error: (f: { file?: string }) => failures.push(String(f.file)) };
    const q = startQueue(sink, dir, { retryBaseMs: 20, retryMaxMs: 200, idlePollMs: 50, maxAttempts: 1, logger });
    q.enqueue([pair('r1', 'own')]);
    expect(await until(() => q.stats().spilledPairs === 1, 30_000)).toBe(true);
    setReadOnly(true);
    sink.failNext = 0; // back up, but the file cannot be claimed or deleted
    const own = readdirSync(dir).find((n) => n.endsWith('.jsonl') && n !== 'hand.jsonl')!;
    expect(await until(() => failures.includes(own), 30_000)).toBe(true); // the queue is stuck on it
    const t0 = performance.now();
    await q.stop({ timeoutMs: 300 });
    expect(performance.now() - t0).toBeLessThan(5000); // generous: bounded, not timed
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl') && n !== 'hand.jsonl')).toHaveLength(1);
  });
});
