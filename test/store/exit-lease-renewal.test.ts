// A process that exits while its store renews the entry-id lease must end. Found 2026-11-30
// (breakit9): the renewal was a lmdb-js transaction() with a JavaScript callback, whose
// transaction lmdb's writer thread holds open waiting for the main thread to run it; a
// process.exit then (here from a setImmediate right after the renewing write; in the wild any
// exit, signal or uncaught exception within a renewal, once a second while ids are handed
// out) never ended: Node joins its thread pool at exit, and the writer waited for ever (gdb:
// WriteWorker::WaitForCallbacks under uv__threadpool_cleanup). 4 of 4 such children hung, and
// 3 of 6 children writing from timers and exiting at random moments; a bare-lmdb child with a
// transaction() every 100 ms hung 6 of 6. The renewal is now a plain put of the handle's own key.
// Checked: with renew() back on meta.transaction(...), this fails (the first child is killed
// after 20 s), 1 of 1 run; the scratch child exiting from a setImmediate after the renewing
// write hung 4 of 4 before, 0 of 4 after (notes/scratch9/breakit9/exit-renewal-child.mjs).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./exit-lease-renewal-child.ts', import.meta.url));

describe('process.exit while the store renews its entry-id lease', () => {
  it('ends (no hang), with its exit code, 5 of 5 children', { timeout: 180_000 }, async () => {
    for (let run = 0; run < 5; run++) {
      const child = startChildScript(CHILD, { storePath: tempDir() });
      const hang = setTimeout(() => child.kill('SIGKILL'), 20_000); // a hung child never ends by itself
      const r = await child.done;
      clearTimeout(hang);
      expect({ run, code: r.code, signal: r.signal }).toEqual({ run, code: 0, signal: null });
    }
  });
});
