// A queue whose pairs are all durable in the store leaves nothing behind when the process
// exits: no journal segment for the next start to read back (real child process).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./clean-exit-child.ts', import.meta.url));

describe('exit after everything was written', () => {
  // Checked (session 9, exit mutation run survivor): with HaltSave.save's
  // `if (pairs.length === 0) return true` made `return false` (nothing to save taken as a
  // failed save), the exit drain leaves the segment "for recovery" and this fails; restored,
  // it passes.
  it('process.exit(0) right after flush() resolved true: the journal segment left is removed, every pair in LMDB once', async () => {
    const storePath = tempDir();
    const r = await startChildScript(CHILD, { storePath }).done;
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const pairs = Number(/pairs: (\d+)/.exec(r.stdout)![1]); // a segment was there to remove
    const journal = join(storePath, 'provenance-journal');
    expect(existsSync(journal) ? readdirSync(journal).filter((n) => n.endsWith('.jsonl')) : []).toEqual([]);
    const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
    try {
      expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(Array.from({ length: pairs }, (_, i) => `c${i}`));
    } finally {
      await store.close();
    }
  });
});
