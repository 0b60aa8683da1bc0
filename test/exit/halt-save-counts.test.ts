// What a stop deadline (or the exit drain) saves through the sink's sync write is counted
// as a sink call is: writtenPairs is what the sink stored — not the pairs it skipped for
// records it does not know, nor those it found stored already (duplicatePairs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const pair = (recordId: string, cue: string): ProvenancePair => [recordId, { ts: '2026-12-01T11:00:00.000Z', cue, sessionId: 's' }];

describe('pairs saved by the sync sink write at a stop deadline', () => {
  // Checked: with HaltSave counting every pair it handed the sync write as written (as
  // before), writtenPairs is 3 — the pair for the unknown record 'ghost' included — and
  // this fails.
  it('count as written only what the sink stored: a pair for an unknown record is not', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    cleanups.push(() => store.close());
    await store.insert({ id: 'r1', text: 'record one' });
    let calls = 0;
    store.appendProvenanceBatch = () => {
      calls++;
      return new Promise(() => {}); // the sink does not answer: stop() will reach its deadline
    };
    const spillDir = join(tempDir(), 'spill');
    const q = store.enableProvenanceQueue({ spillDir, durability: 'memory', coalesceMs: 0, exitHook: false, logger: silentLogger });
    q.enqueue([pair('r1', 'a'), pair('ghost', 'lost'), pair('r1', 'b')]);
    expect(await until(() => calls === 1, 30_000)).toBe(true);
    writeFileSync(spillDir, 'in the way'); // no spill file can be written: the deadline saves through the sync write
    await q.stop({ timeoutMs: 100 });
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b']);
    expect(q.stats()).toMatchObject({ writtenPairs: 2, duplicatePairs: 0, spilledPairs: 0, pendingPairs: 0 });
  });
});
