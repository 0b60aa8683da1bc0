// Exit behaviour, each case in a real child process, checked by reopening the store after.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkload, startWorkload } from '../../faults/child.js';
import { auditCues, readCues } from '../../faults/audit.js';
import type { WorkloadConfig } from '../../faults/workload.js';
import { tempDir } from '../helpers/temp.js';

const PAIRS = 1000;
const RECORDS = 10;

function config(ending: WorkloadConfig['ending'], extra: Partial<WorkloadConfig> = {}): WorkloadConfig {
  // A long coalesce window: every pair is still in memory when the process ends.
  // And lmdb's own exit listener registered, as in an application that opens LMDB itself.
  return {
    storePath: tempDir(),
    ending,
    pairs: PAIRS,
    records: RECORDS,
    openDefaultLmdb: true,
    queue: { coalesceMs: 60_000 },
    ...extra,
  };
}

async function expectAllDurableOnce(cfg: WorkloadConfig): Promise<void> {
  const audit = auditCues(await readCues(cfg.storePath, RECORDS), 'c', PAIRS);
  expect(audit).toEqual({ durable: PAIRS, lost: 0, duplicated: 0, orderViolations: 0 });
}

describe('exit hook (real child processes)', () => {
  it('process.exit(0) right after enqueueing 1,000 pairs: all durable, exit code 0', async () => {
    const cfg = config('exit');
    const r = await runWorkload(cfg);
    expect(r).toMatchObject({ code: 0, signal: null });
    await expectAllDurableOnce(cfg);
  });

  // Checked: with the drain added by process.on('exit') instead of prependListener, the
  // earlier listener runs first and prints 0. lmdb's own exit listener (which closes every
  // environment) is such an earlier listener in any app that opened LMDB first.
  it('drains before exit listeners registered earlier (such as lmdb\'s), straight into LMDB', async () => {
    const cfg = config('exit', { probeAtExit: true });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`entries at an earlier exit listener: ${PAIRS}`);
    expect(existsSync(join(cfg.storePath, 'provenance-overflow'))).toBe(false); // not a spill-file detour
    await expectAllDurableOnce(cfg);
  });

  // Checked: with haltAndSave journaling the turn's pairs before the sync save (as it did),
  // the journal directory is created at exit and this fails.
  it('pairs of the exiting turn go straight into LMDB: nothing is journaled first', async () => {
    const cfg = config('exit'); // every enqueue in the turn that calls process.exit
    const r = await runWorkload(cfg);
    expect(r.code).toBe(0);
    expect(existsSync(join(cfg.storePath, 'provenance-journal'))).toBe(false);
    await expectAllDurableOnce(cfg);
  });

  it('keeps a non-zero process.exit code unchanged', async () => {
    const cfg = config('exit', { exitCode: 7 });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(7);
    await expectAllDurableOnce(cfg);
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} while pairs wait: all durable, the child still dies by ${signal}`, async () => {
      const cfg = config('wait');
      const child = startWorkload(cfg);
      await child.waitForLine(/^ready$/);
      child.kill(signal);
      const r = await child.done;
      expect(r).toMatchObject({ code: null, signal });
      await expectAllDurableOnce(cfg);
    });
  }

  it('an uncaught exception: all durable, exit code 1 and the error still printed', async () => {
    const cfg = config('throw');
    const r = await runWorkload(cfg);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deliberate uncaught exception');
    await expectAllDurableOnce(cfg);
  });

  it('an unhandled rejection: all durable, exit code 1', async () => {
    const cfg = config('reject');
    const r = await runWorkload(cfg);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deliberate unhandled rejection');
    await expectAllDurableOnce(cfg);
  });

  // The coalescing window is an hour: a queue that kept the process alive for it would run
  // into the child's 120 s limit and be killed (timedOut, SIGKILL). (Was a 30 s bound from
  // spawn with a 60 s window: at load 15-22 a child took ~15 s to start, half the bound.)
  // Checked: with the worker's waitForWork timer not unref'd, the child is killed at its
  // limit and this fails.
  it('the event loop simply running out: all durable, exit code 0, and the queue did not keep it alive', { timeout: 300_000 }, async () => {
    const cfg = config('natural', { queue: { coalesceMs: 3_600_000 } });
    const r = await runWorkload(cfg);
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false });
    await expectAllDurableOnce(cfg);
  });

  it('a sink call in flight at exit: the pairs are written once, not twice', async () => {
    const cfg = config('exit', { sinkDelayMs: 50, queue: { coalesceMs: 0, maxBatchPairs: 100 } });
    const r = await runWorkload(cfg);
    expect(r.code).toBe(0);
    await expectAllDurableOnce(cfg);
  });
});
