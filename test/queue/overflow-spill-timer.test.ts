// The overflow spill runs on its own timer, beside the worker loop, with no watchdog of the
// worker's to run it again. What fails in it unexpectedly must not end it: the pairs it
// held go back in line, the failure is reported (the queue wires it to the supervisor:
// PROVQ_WORKER_FAILED, 'workerError' with part 'overflow spill'), and spilling goes on
// after a backoff.
//
// The host here is a stand-in, as in worker-supervisor.test.ts: no input through the sink,
// the public API or the filesystem is known to make the spill timer's callback throw (disk
// errors — a full disk, a spill dir replaced by a file, a throwing logger — are caught in
// spill() and retried with backoff; see spill-failure.test.ts), so the failure is scripted
// in the host's `changed()` / `halted()`. Backlog, SpillWriter and the files are real.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/log.js';
import { Backlog } from '../../src/queue/backlog.js';
import { SpillScheduler, type SpillHost } from '../../src/queue/overflow.js';
import { pendingBatch } from '../../src/queue/pending-batches.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import type { WorkerFailedEvent } from '../../src/queue/events.js';
import { WorkerSupervisor } from '../../src/queue/worker-supervisor.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let seq = 0;
function batch(cues: string[]) {
  const pairs: ProvenancePair[] = cues.map((cue) => ['r1', { ts: '2026-12-01T10:00:00.000Z', cue, sessionId: 's1' }]);
  const b = pendingBatch(pairs, 1764583200000, seq, false);
  seq += pairs.length;
  return b;
}

/** The cues in the spill files of `dir`, in file order. */
function spilledCues(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => readFileSync(join(dir, n), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue));
}

function scheduler(spillDir: string, host: Partial<SpillHost>) {
  const backlog = new Backlog();
  const failures: unknown[] = [];
  const full: SpillHost = {
    halted: () => false,
    assertSpillDirOwned() {},
    spilled() {},
    changed() {},
    failed: (err) => {
      failures.push(err);
      return 20;
    },
    ...host,
  };
  const spill = new SpillScheduler(backlog, new SpillWriter(spillDir), { coalesceMs: 5, retryBaseMs: 10, retryMaxMs: 40, syncSpillPairs: 16_384 }, silentLogger, full);
  return { backlog, spill, failures };
}

describe('the overflow spill timer', () => {
  // Checked: with spillOverflow as before (its body unguarded, the timer calling it with
  // `void`), the throw from changed() becomes an unhandled rejection, `failed` is never
  // called and the first wait fails.
  it('a failure after a spill is reported, not an unhandled rejection, and later overflow is still spilled', async () => {
    const spillDir = join(tempDir(), 'spill');
    let throwOnce = true;
    const { backlog, spill, failures } = scheduler(spillDir, {
      changed() {
        if (throwOnce) {
          throwOnce = false;
          throw new Error('injected: a bug after the spill');
        }
      },
    });
    spill.addOverflow(batch(['a', 'b']));
    expect(await until(() => failures.length === 1, 30_000)).toBe(true);
    expect((failures[0] as Error).message).toBe('injected: a bug after the spill');
    expect(spilledCues(spillDir)).toEqual(['a', 'b']); // written once: the failure came after
    expect(backlog.pendingPairs).toBe(0);
    spill.addOverflow(batch(['c']));
    // Published before the writer's last fsync returns: the spill is over once nothing is pending.
    expect(await until(() => spilledCues(spillDir).length === 3 && backlog.pendingPairs === 0, 30_000)).toBe(true);
    expect(spilledCues(spillDir)).toEqual(['a', 'b', 'c']);
    expect(failures).toHaveLength(1);
  });

  // Checked: with spillOverflow as before, `failed` is never called and the first wait fails
  // (an unhandled rejection instead). Measured on that code: `spilling` stays set and the
  // taken pairs marked on their way — the disk healed and a batch of 3 more added, 2 s later
  // no file was written, pendingPairs 5, 2 of them in flight for good.
  it('a failure while pairs are on their way puts them back in line, and spilling goes on once the disk is back', async () => {
    const base = tempDir();
    const blocker = join(base, 'blocked');
    writeFileSync(blocker, 'in the way'); // the spill dir's parent is a file: every spill fails (ENOTDIR)
    const spillDir = join(blocker, 'spill');
    let armed = false;
    const { backlog, spill, failures } = scheduler(spillDir, {
      assertSpillDirOwned() {
        armed = true; // the next halted() is the one after the write failed
      },
      halted() {
        if (!armed) return false;
        armed = false;
        if (failures.length > 0) return false;
        throw new Error('injected: a bug after a failed spill');
      },
    });
    spill.addOverflow(batch(['a', 'b']));
    expect(await until(() => failures.length === 1, 30_000)).toBe(true);
    expect(backlog.overflowPairs).toBe(2); // back in line, not lost on their way
    expect(backlog.busyCount).toBe(0);
    rmSync(blocker);
    expect(await until(() => spilledCues(spillDir).length === 2 && backlog.pendingPairs === 0, 30_000)).toBe(true);
    expect(spilledCues(spillDir)).toEqual(['a', 'b']);
  });
});

describe('the overflow spill timer\'s failures, as the queue reports them', () => {
  // Checked: with partFailed sharing the worker's streak, the worker's own first failure
  // after it says failures: 3, and this fails; with `part` left out of the
  // event or the log line, this fails.
  it('are logged and emitted as the worker\'s are (PROVQ_WORKER_FAILED, the cause), naming the part, with a backoff of their own', async () => {
    const errors: { fields: Record<string, unknown>; msg: string }[] = [];
    const none = () => {};
    const logger: Logger = { debug: none, info: none, warn: none, error: (fields, msg) => void errors.push({ fields: fields as Record<string, unknown>, msg }) };
    const events: WorkerFailedEvent[] = [];
    let runs = 0;
    const worker = {
      async run(): Promise<void> {
        await Promise.resolve();
        if (runs++ === 0) throw new Error('worker broke');
      },
    };
    const sup = new WorkerSupervisor(worker, { retryBaseMs: 10, retryMaxMs: 10_000 }, logger, { halted: () => false, pendingPairs: () => 3, workerFailed: (e) => void events.push(e) });
    const cause = new Error('spill broke');
    const first = sup.partFailed('overflow spill', cause);
    const second = sup.partFailed('overflow spill', cause);
    expect(second).toBeGreaterThanOrEqual(first); // doubling (with jitter) from retryBaseMs
    expect(events.map((e) => [e.part, e.failures])).toEqual([['overflow spill', 1], ['overflow spill', 2]]);
    expect(events[0]!.error).toMatchObject({ code: 'PROVQ_WORKER_FAILED', cause });
    expect(events[0]!.error.message).toMatch(/overflow spill failed \(spill broke\); it runs again in \d+ ms/);
    expect(errors[0]!.fields).toMatchObject({ code: 'PROVQ_WORKER_FAILED', part: 'overflow spill', failures: 1, pendingPairs: 3, err: cause });
    expect(errors[0]!.msg).toMatch(/overflow spill failed; spilling again after a backoff/);
    await sup.run(); // the worker fails once, then ends: its streak starts at 1, not after the spill's
    expect(events.map((e) => [e.part, e.failures])).toEqual([['overflow spill', 1], ['overflow spill', 2], ['worker', 1]]);
    expect(errors[2]!.fields).toMatchObject({ part: 'worker', failures: 1 });
  });
});
