// close() always finishes by its deadline (contract: Failures), also when LMDB itself cannot
// commit: another process holds the environment's write lock (a real child in a write
// transaction), so the store's puts wait for it. Checked against the code before: the stop
// deadline saved through the store's synchronous write first, which blocked the whole thread
// on the held lock (close never returned; the test timed out), and with that fixed, close()
// still waited without a bound for the puts under way.
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startChildScript, type RunningChild } from '../../faults/child.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';
import { pair } from '../helpers/sinks.js';

const CHILD = fileURLToPath(new URL('./write-lock-child.ts', import.meta.url));
const children: RunningChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await c.done;
  }
});

describe('close() with the LMDB write lock held by another process', () => {
  it('resolves by its deadline, and every pair lands once when the lock is released', { timeout: 90_000 }, async () => {
    const storePath = tempDir();
    const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
    await store.insert({ id: 'r1', text: 'x' });
    const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 0 });
    const holder = startChildScript(CHILD, { mode: 'hold', storePath, holdMs: 120_000 });
    children.push(holder);
    await holder.waitForLine(/^holding$/);
    const cues = Array.from({ length: 100 }, (_, i) => `held ${String(i).padStart(3, '0')}`);
    for (const cue of cues) queue.enqueue([pair('r1', cue)]);

    const started = performance.now();
    await store.close({ timeoutMs: 1000 });
    // Bounded, not timed: the lock is held for two minutes.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(queue.stats().pendingPairs).toBe(0);

    holder.kill('SIGKILL');
    await holder.done;
    const counter = startChildScript(CHILD, { mode: 'count', storePath });
    children.push(counter);
    const result = await counter.done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim()) as string[]).toEqual(cues);
  });
});
