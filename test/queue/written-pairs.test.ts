// stats().writtenPairs counts what the sink stored: a pair written a second time (a file read
// back again, a journal of a killed process whose pairs were stored before it died) is a
// no-op the sink reports as a duplicate — counted in duplicatePairs, not written again.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readAckLog, storedRecalls } from '../../faults/ack-audit.js';
import { startChildScript } from '../../faults/child.js';
import { RECALL_CHILD } from '../../faults/kill9.js';
import type { RecallChildConfig } from '../../faults/recall-child.js';
import { freshStore, removeScratchDirs } from '../../faults/scenario.js';
import { lastJsonLine } from '../../faults/sink-faults.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { writeQueueSpillFile, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => removeScratchDirs());

const entriesIn = (stored: Map<string, number[]>) => [...stored.values()].reduce((n, l) => n + l.length, 0);

describe('stats().writtenPairs', () => {
  // Checked: with countWritten counting `kept` as written (duplicates not subtracted, as
  // before), writtenPairs is 6 and this fails.
  it('counts a spill file read back twice (a crash between its write and its delete) once; the second time as duplicates', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => store.close());
    await store.insert({ id: 'r1', text: 'x' });
    const spillDir = join(path, 'provenance-overflow');
    const name = await writeQueueSpillFile(spillDir, 'r1', ['a', 'b', 'c']);
    const copy = readFileSync(join(spillDir, name));
    const q = store.enableProvenanceQueue({ idlePollMs: 50, logger: silentLogger });
    const empty = () => readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')).length === 0;
    expect(await until(empty, 30_000)).toBe(true);
    expect(q.stats()).toMatchObject({ writtenPairs: 3, duplicatePairs: 0, respooledPairs: 3 });
    writeRawFile(spillDir, name, copy); // the same file again
    expect(await until(empty, 30_000)).toBe(true);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b', 'c']);
    expect(q.stats()).toMatchObject({ writtenPairs: 3, duplicatePairs: 3, respooledPairs: 6 });
  });

  // Checked: with duplicates not subtracted (as before), the restart's writtenPairs is every
  // pair its dead writer's journal held — most of them stored before the kill — and this
  // fails (measured: 1,635 written for 150 new entries).
  it('after kill -9 and a restart, counts only the pairs the restart stored: the journal\'s pairs stored before the kill are duplicates', { timeout: 120_000 }, async () => {
    const storePath = await freshStore('written-pairs');
    const ackLog = join(storePath, 'acknowledged.log');
    const child = startChildScript(RECALL_CHILD, { storePath, mode: 'yield', ackLog } satisfies RecallChildConfig);
    cleanups.push(() => child.kill('SIGKILL'));
    await child.waitForLine(/^ready$/);
    expect(await until(() => readAckLog(ackLog).size >= 300, 60_000, 5)).toBe(true);
    child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    const before = entriesIn(await storedRecalls(storePath, ''));
    const restart = await startChildScript(RECALL_CHILD, { storePath, mode: 'drain' } satisfies RecallChildConfig).done;
    expect(restart.code, restart.stderr).toBe(0);
    const stats = lastJsonLine(restart.stdout)! as { writtenPairs: number; duplicatePairs: number; respooledPairs: number };
    const after = entriesIn(await storedRecalls(storePath, ''));
    expect(stats.writtenPairs).toBe(after - before);
    expect(stats.writtenPairs + stats.duplicatePairs).toBe(stats.respooledPairs);
    // The live segment is never quiet under a recall loop (the journal keeps it until it is):
    // it held pairs the dead writer had stored already.
    expect(stats.duplicatePairs).toBeGreaterThan(0);
  });
});
