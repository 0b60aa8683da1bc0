// An app's own 'exit' listener that recalls or enqueues runs after the queue's exit drain:
// the queue has halted by then, and what it is handed must still be saved, synchronously.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./late-enqueue-child.ts', import.meta.url));

describe('pairs handed to the queue after its exit drain (real child process)', () => {
  // Checked (issue 14, a "no coverage" mutant of the whole-core run): with enqueue's
  // `this.halt.save([batch], 'enqueue after the queue was halted')` removed (the halted
  // branch only returning), both late pairs are lost and this fails; restored, it passes.
  it("an exit listener's enqueue and recall are saved (the sink's sync write, or a spill file read back at the next open), every pair once", async () => {
    const storePath = tempDir();
    const r = await startChildScript(CHILD, { storePath }).done;
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
    try {
      const queue = store.enableProvenanceQueue({ logger: silentLogger, idlePollMs: 20 });
      const cues = async () => (await store.get('r1'))!.provenance.map((e) => e.cue);
      const late = ['enqueued in an exit listener', 'my cat, recalled in an exit listener'];
      // Written by the sink's sync write, or read back by this queue's idle poll: polled until
      // both late cues are stored (or 30 s: a positive wait, generous for a loaded machine).
      let all = await cues();
      for (const end = performance.now() + 30_000; !late.every((c) => all.includes(c)) && performance.now() < end; all = await cues()) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(all.filter((c) => late.includes(c)).sort()).toEqual(late);
      expect(all.filter((c) => c.startsWith('before exit'))).toEqual(Array.from({ length: 50 }, (_, i) => `before exit ${i}`));
    } finally {
      await store.close();
    }
  });
});
