// The exit drain says why it ran: an operator reading "sync sink write failed" at exit needs
// to know whether the process was told to stop (a signal) or ended itself (an exit code).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWorkload } from '../../faults/child.js';
import type { WorkloadConfig } from '../../faults/workload.js';
import { tempDir } from '../helpers/temp.js';

describe('the exit drain names its reason (real child processes)', () => {
  // Checked (session 10, exit mutation run survivor of exit-hook.ts, applied by hand, this
  // test run, the source restored): signal-exit's callback's `signal ${signal}` emptied: the
  // log line's reason is "" and this fails.
  it('SIGTERM while pairs wait and the sync write fails: the log gives the signal as the reason, the pairs are spilled, the child dies by SIGTERM', async () => {
    const storePath = tempDir();
    const logFile = join(storePath, 'app.log');
    const cfg: WorkloadConfig & { logFile: string } = {
      storePath,
      ending: 'wait',
      pairs: 200,
      records: 10,
      syncWriteFails: true,
      logFile,
      queue: { coalesceMs: 60_000, durability: 'memory' },
    };
    const child = startWorkload(cfg);
    await child.waitForLine(/^ready$/);
    child.kill('SIGTERM');
    const r = await child.done;
    expect({ code: r.code, signal: r.signal, timedOut: r.timedOut }).toEqual({ code: null, signal: 'SIGTERM', timedOut: false });
    const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
    expect(lines).toContainEqual(expect.objectContaining({ reason: 'signal SIGTERM', pairs: 200, msg: 'sync sink write failed' }));
    expect(lines).toContainEqual(expect.objectContaining({ reason: 'signal SIGTERM', pairs: 200, msg: 'pending pairs spilled' }));
  });
});
