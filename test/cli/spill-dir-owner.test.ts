// provq applies a spill directory only to the store it belongs to. Found 2026-12-01 (breaker14):
// `provq spill replay --store A --dir <B's spill dir>` wrote B's pairs into A (the records
// both stores have got B's history) and deleted B's files; `provq spill retry FILE --store A`
// did the same with a file quarantined in B's spill dir. A queue has always refused another
// sink's directory (PROVQ_SPILL_DIR_OWNED); the commands now do too, before anything moves.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { quarantineSpillFile } from '../../src/spill/quarantine.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { until } from '../helpers/until.js';
import { cuesOf, makeStore, provq, spillDirOf } from './run-provq.js';

const spillFilesIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
const contentsOf = (dir: string) => spillFilesIn(dir).map((n) => readFileSync(join(dir, n), 'utf8'));

/**
 * Store B, whose queue spilled recalls of `shared` and `onlyB` while its writes failed: its
 * spill dir is marked as B's by B's own queue, as in production. A is another store that
 * also has a record `shared`.
 */
async function storeWithSpilledHistory(): Promise<{ a: string; b: string; bSpill: string }> {
  const a = await makeStore(['shared']);
  const b = await makeStore(['shared', 'onlyB']);
  const store = await LmdbMemoryStore.open({ path: b, logger: silentLogger });
  store.appendProvenanceBatch = () => Promise.reject(new Error('B is down'));
  // One attempt, then a breaker that stays open for seconds: every call's pairs are spilled.
  const q = store.enableProvenanceQueue({ maxAttempts: 1, retryBaseMs: 5000, retryMaxMs: 60_000, coalesceMs: 1 });
  for (const cue of ['q1', 'q2', 'q3']) await store.recall({ cue: `${cue} record shared onlyB`, sessionId: 's', k: 2 });
  expect(await until(() => q.stats().spilledPairs === 6, 20_000)).toBe(true);
  await store.close();
  return { a, b, bSpill: spillDirOf(b) };
}

describe('provq and a spill directory of another store', () => {
  // Checked: with the owner check taken out of spill-replay.ts, the replay exits 0, A's
  // `shared` gets q1-q3 and B's spill dir is emptied; this fails at the exit code.
  it('spill replay --store A --dir <B\'s spill dir> refuses, names both sinks, applies and moves nothing', { timeout: 120_000 }, async () => {
    const { a, b, bSpill } = await storeWithSpilledHistory();
    const before = contentsOf(bSpill);
    expect(before.join('')).toContain('"cue":"q1');

    const r = await provq('spill', 'replay', '--store', a, '--dir', bSpill);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^provq: spill directory ${bSpill} belongs to sink lmdb:[0-9a-f-]{36}, not to the store given \\(${a}\\), sink lmdb:[0-9a-f-]{36}; nothing was applied or moved`));
    expect(contentsOf(bSpill)).toEqual(before);
    expect(await cuesOf(a, 'shared')).toEqual([]);

    // Given to its own store, the same directory applies as before.
    const own = await provq('spill', 'replay', '--store', b);
    expect(own.code, own.stderr).toBe(0);
    expect(await cuesOf(b, 'shared')).toEqual(['q1 record shared onlyB', 'q2 record shared onlyB', 'q3 record shared onlyB']);
    expect(await cuesOf(b, 'onlyB')).toHaveLength(3);
    expect(spillFilesIn(bSpill)).toEqual([]);
  });

  // Checked: with the owner check taken out of spill-retry.ts, the retry renames the file
  // back, applies it to A (exit 0) and A's `shared` gets its pairs; this fails at the exit code.
  it('spill retry <file in B\'s spill dir> --store A refuses and leaves the file quarantined', { timeout: 120_000 }, async () => {
    const { a, b, bSpill } = await storeWithSpilledHistory();
    const [first] = spillFilesIn(bSpill);
    const quarantined = await quarantineSpillFile(bSpill, first!, 'set aside by hand for this test');
    const before = contentsOf(bSpill);

    const r = await provq('spill', 'retry', join(bSpill, quarantined), '--store', a);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^provq: spill directory .* belongs to sink lmdb:.*, not to the store given .*; nothing was applied or moved/);
    expect(contentsOf(bSpill)).toEqual(before);
    expect(spillFilesIn(bSpill)).toContain(quarantined);
    expect(await cuesOf(a, 'shared')).toEqual([]);

    const own = await provq('spill', 'retry', join(bSpill, quarantined), '--store', b);
    expect(own.code, own.stderr).toBe(0);
    expect((await cuesOf(b, 'shared')).length).toBeGreaterThan(0);
    expect(spillFilesIn(bSpill)).not.toContain(quarantined);
  });
});
