// A store shared with another process that grows its file: the writing process must neither
// crash nor leave its map of the file behind. lmdb-js (3.5.6) resizes a process's map when
// another process has grown the file, in whichever thread begins a transaction next, without
// a lock: a main-thread read and a writer-thread write both resized it, listed the same old
// map twice (once with the new size), leaked one new map, and closing the store unmapped
// memory it was still walking — the shared-kill9 fault row's survivor SIGSEGV.
// Checked with LMDB_MAP_BYTES removed from src/store/lmdb-env.ts (lmdb's 128 KiB start):
// the writer died with SIGSEGV in 3 of 3 runs (within its 2nd or 3rd store of 5); with it,
// 0 of 3 (15 stores).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import { tempDir } from '../helpers/temp.js';
import type { SharedGrowthConfig } from './shared-growth-child.js';

const CHILD = fileURLToPath(new URL('./shared-growth-child.ts', import.meta.url));
/** From lmdb's 128 KiB start, the data pass a doubling map nine times on the way. */
const GROW_TO_BYTES = 64 * 2 ** 20;
const STORES = 5;

describe('a store whose file another process grows', () => {
  it('writes, reads and closes without a crash or a map left behind', { timeout: 240_000 }, async () => {
    const storePaths = Array.from({ length: STORES }, () => tempDir());
    const grower = startChildScript(CHILD, { mode: 'grow', storePaths, growToBytes: GROW_TO_BYTES } satisfies SharedGrowthConfig);
    try {
      const writer = await startChildScript(CHILD, { mode: 'write', storePaths, growToBytes: GROW_TO_BYTES } satisfies SharedGrowthConfig).done;
      expect({ code: writer.code, signal: writer.signal, stderr: writer.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      expect(JSON.parse(writer.stdout.trim())).toEqual({ mapsLeft: Array(STORES).fill(0) });
      const grew = await grower.done;
      expect({ code: grew.code, signal: grew.signal }).toEqual({ code: 0, signal: null });
    } finally {
      grower.kill('SIGKILL'); // waits for the writer's ready file of a store it never opened, if the writer died
    }
  });
});
