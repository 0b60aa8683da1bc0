// An app that runs many queues at once, and opens and closes them over its life: the exit
// hook is installed once for all of them (no listener per queue: no MaxListenersExceeded
// warning), and a stopped queue is let go (the hook does not keep it in memory).
// A real child process: its own process-wide exit hook, and a garbage collector it may run.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./many-queues-child.ts', import.meta.url));

describe('many queues in one process', () => {
  // Checked (session 10, exit mutation run survivors of exit-hook.ts, each applied by hand,
  // this test run, the source restored):
  // - registerExitDrain's `if (removeSignalHook) return` made false (the hook added again for
  //   every queue started): "MaxListenersExceededWarning: … 11 exit listeners" from the 11th;
  // - unregisterExitDrain emptied (a stopped queue never taken out of the exit set): all
  //   60 stopped queues stay reachable (alive: 60).
  it('20 queues running at once, three rounds: no listener warning, every pair saved, every stopped queue let go', async () => {
    const r = await startChildScript(CHILD, { dir: tempDir(), queues: 20, rounds: 3 }).done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ warnings: [], stopped: 60, alive: 0, saved: 60 });
  });
});
